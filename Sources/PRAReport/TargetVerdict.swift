import Foundation
import PRADrillResults

/// Whether the latest run meets one target (RTO or RPO), with the figure that decides it and
/// the one sentence the report leads with.
///
/// The rule: every scenario of the run that measured the figure measured it within **its own**
/// target (the scenario's `targets:`, by default `RTO_TARGET` / `RPO_TARGET`), and no scenario
/// that should have measured it failed to (a disaster with no successful restore, a restore
/// with no heartbeat to measure data loss from). The deciding scenario is the one with the
/// smallest margin (target − measured). A run that measured nothing is *not measured*, which is
/// not compliant.
public struct TargetVerdict: Sendable, Equatable, Encodable {
    /// Which figure.
    public enum Measure: String, Sendable, Encodable {
        case rto = "RTO"
        case rpo = "RPO"

        /// The runner's check for this figure.
        var check: TargetCheck { self == .rto ? .rto : .rpo }
    }

    /// The outcome.
    public enum Status: String, Sendable, Encodable {
        case compliant = "compliant"
        case notCompliant = "not compliant"
        case notMeasured = "not measured"
    }

    public var measure: Measure
    /// The outcome, and the figure that decides it.
    public var status: Status
    /// The deciding scenario (smallest margin), when anything was measured.
    public var scenario: String?
    public var measuredSeconds: Double?
    public var targetSeconds: Double?
    /// Target − measured: positive within the target, negative over it.
    public var marginSeconds: Double?
    /// How many scenarios measured the figure, and which were over their target.
    public var measuredCount: Int
    public var overTarget: [String]
    /// Scenarios that should have measured the figure and did not (no recovery, no heartbeat).
    public var unmeasured: [String]
    /// The sentence the report leads with.
    public var sentence: String

    /// True for ``Status/compliant``.
    public var isCompliant: Bool { status == .compliant }

    /// Judges `measure` on `run`; `earlier` (oldest first) supplies the last measurement when
    /// `run` has none.
    public static func judge(_ measure: Measure, run: DrillRunResult, earlier: [DrillRunResult] = []) -> TargetVerdict {
        var measured: [(name: String, value: Double, target: Double)] = []
        var unmeasured: [String] = []
        for scenario in run.scenarios where scenario.verdict != .skipped {
            let (value, target) = figures(measure, scenario)
            if let value {
                measured.append((scenario.name, value, target))
            } else if scenario.checks.contains(where: { $0.targetCheck == measure.check && !$0.passed }) {
                unmeasured.append(scenario.name)
            }
        }
        let day = ComplianceFormat.day(run.startedAt)
        var verdict = TargetVerdict(measure: measure, status: .notMeasured, measuredCount: measured.count, overTarget: [], unmeasured: unmeasured, sentence: "")
        let deciding = measured.min { ($0.target - $0.value) < ($1.target - $1.value) }
        if let deciding {
            verdict.scenario = deciding.name
            verdict.measuredSeconds = deciding.value
            verdict.targetSeconds = deciding.target
            verdict.marginSeconds = deciding.target - deciding.value
        }
        verdict.overTarget = measured.filter { $0.value > $0.target }.map(\.name)

        if measured.isEmpty && unmeasured.isEmpty {
            verdict.status = .notMeasured
            var sentence = "\(measure.rawValue): not measured — the latest drill (\(day)) \(measure == .rto ? "recovered from no disaster" : "measured no data loss (no scenario with a heartbeat workload recovered)")"
            if let previous = lastMeasurement(measure, in: earlier) {
                sentence += "; last measured on \(ComplianceFormat.day(previous.date)): \(ComplianceFormat.duration(previous.value)) (\(previous.name)) against a target of \(ComplianceFormat.duration(previous.target))."
            } else {
                sentence += "; no run in the history has measured it."
            }
            verdict.sentence = sentence
            return verdict
        }

        if verdict.overTarget.isEmpty && unmeasured.isEmpty, let deciding {
            verdict.status = .compliant
            let what = measure == .rto
                ? "the slowest recovery in the latest drill (\(day)) took \(ComplianceFormat.duration(deciding.value)) (\(deciding.name))"
                : "the largest data loss in the latest drill (\(day)) was \(ComplianceFormat.duration(deciding.value)) of writes (\(deciding.name))"
            let others = measured.count > 1 ? "; \(measured.count) scenarios measured, all within target" : ""
            verdict.sentence = "\(measure.rawValue): compliant — \(what) against a target of \(ComplianceFormat.duration(deciding.target)), \(ComplianceFormat.margin(deciding.target - deciding.value))\(others)."
            return verdict
        }

        verdict.status = .notCompliant
        var reasons: [String] = []
        if let deciding, deciding.value > deciding.target {
            let what = measure == .rto ? "took \(ComplianceFormat.duration(deciding.value)) to recover" : "lost \(ComplianceFormat.duration(deciding.value)) of writes"
            reasons.append("\(deciding.name) \(what) against a target of \(ComplianceFormat.duration(deciding.target)), \(ComplianceFormat.margin(deciding.target - deciding.value))")
            if verdict.overTarget.count > 1 {
                reasons.append("\(verdict.overTarget.count) of \(measured.count) measured scenarios over target")
            }
        }
        if !unmeasured.isEmpty {
            let what = measure == .rto ? "did not recover after the disaster" : "recovered no heartbeat to measure data loss from"
            reasons.append("\(unmeasured.joined(separator: ", ")) \(what)")
        }
        verdict.sentence = "\(measure.rawValue): not compliant — in the latest drill (\(day)) " + reasons.joined(separator: "; ") + "."
        return verdict
    }

    /// The measured value and the target of `measure` in `scenario`.
    static func figures(_ measure: Measure, _ scenario: ScenarioResult) -> (value: Double?, target: Double) {
        switch measure {
        case .rto: return (scenario.measurement.rtoSeconds, scenario.measurement.rtoTargetSeconds)
        case .rpo: return (scenario.measurement.rpoSeconds, scenario.measurement.rpoTargetSeconds)
        }
    }

    /// The worst measurement of the newest run in `runs` that measured `measure`.
    static func lastMeasurement(_ measure: Measure, in runs: [DrillRunResult]) -> (date: Date, name: String, value: Double, target: Double)? {
        for run in runs.reversed() {
            let measured = run.scenarios.compactMap { scenario -> (String, Double, Double)? in
                let (value, target) = figures(measure, scenario)
                return value.map { (scenario.name, $0, target) }
            }
            if let worst = measured.min(by: { ($0.2 - $0.1) < ($1.2 - $1.1) }) {
                return (run.startedAt, worst.0, worst.1, worst.2)
            }
        }
        return nil
    }
}
