import Foundation
import PRADrillResults

/// How the drills went over time: one point per run (pass rate, worst RTO and RPO, full or
/// partial), one series per scenario (its RTO and RPO in each run that ran it), and the latest
/// full drill compared with the previous one — "is it getting better or worse?".
public struct ComplianceTrend: Sendable, Equatable, Encodable {
    /// One run.
    public struct RunPoint: Sendable, Equatable, Encodable {
        public var runID: String
        public var startedAt: Date
        /// Ran every scenario of the catalogue (see ``DrillCatalogue``).
        public var isFull: Bool
        /// Catalogue scenarios the run did not include, and how many it did.
        public var missingScenarios: [String]
        public var catalogueScenariosRun: Int
        public var passed: Int
        public var failed: Int
        public var skipped: Int
        public var total: Int { passed + failed + skipped }
        /// Passed ÷ all scenarios of the run (a skipped scenario is not a pass); `nil` for an empty run.
        public var passRate: Double? { total == 0 ? nil : Double(passed) / Double(total) }
        /// The largest RTO / RPO any scenario of the run measured.
        public var worstRTOSeconds: Double?
        public var worstRPOSeconds: Double?
    }

    /// One scenario in one run.
    public struct ScenarioPoint: Sendable, Equatable, Encodable {
        public var runID: String
        public var startedAt: Date
        public var verdict: Verdict
        public var rtoSeconds: Double?
        public var rtoTargetSeconds: Double
        public var rpoSeconds: Double?
        public var rpoTargetSeconds: Double
    }

    /// One scenario across runs, oldest first.
    public struct ScenarioSeries: Sendable, Equatable, Encodable {
        public var name: String
        public var points: [ScenarioPoint]
        public var measuresRTO: Bool { points.contains { $0.rtoSeconds != nil } }
        public var measuresRPO: Bool { points.contains { $0.rpoSeconds != nil } }
    }

    /// The latest full drill against the one before it.
    public struct Comparison: Sendable, Equatable, Encodable {
        public var current: RunPoint
        public var previous: RunPoint
        /// One sentence: each figure now, before, and whether it got better or worse.
        public var sentence: String
    }

    /// Runs in the window, oldest first.
    public var runs: [RunPoint]
    /// Scenarios in the window, in the order they first appear.
    public var scenarios: [ScenarioSeries]
    /// `nil` until two full drills exist.
    public var comparison: Comparison?

    /// The trend of `window` (runs oldest first); `all` supplies the full drills to compare.
    public init(window: [DrillRunResult], all: [DrillRunResult], catalogue: DrillCatalogue) {
        runs = window.map { Self.point($0, catalogue: catalogue) }
        var order: [String] = []
        var byName: [String: [ScenarioPoint]] = [:]
        for run in window {
            for scenario in run.scenarios {
                if byName[scenario.name] == nil { order.append(scenario.name) }
                let m = scenario.measurement
                byName[scenario.name, default: []].append(ScenarioPoint(
                    runID: run.runID, startedAt: run.startedAt, verdict: scenario.verdict,
                    rtoSeconds: m.rtoSeconds, rtoTargetSeconds: m.rtoTargetSeconds,
                    rpoSeconds: m.rpoSeconds, rpoTargetSeconds: m.rpoTargetSeconds))
            }
        }
        scenarios = order.map { ScenarioSeries(name: $0, points: byName[$0] ?? []) }
        let full = all.filter(catalogue.isFull)
        if full.count >= 2 {
            let current = Self.point(full[full.count - 1], catalogue: catalogue)
            let previous = Self.point(full[full.count - 2], catalogue: catalogue)
            comparison = Comparison(current: current, previous: previous, sentence: Self.compare(current, previous))
        }
    }

    static func point(_ run: DrillRunResult, catalogue: DrillCatalogue) -> RunPoint {
        let missing = catalogue.missing(in: run)
        return RunPoint(
            runID: run.runID, startedAt: run.startedAt, isFull: missing.isEmpty, missingScenarios: missing, catalogueScenariosRun: catalogue.names.count - missing.count,
            passed: run.passedCount, failed: run.failedCount, skipped: run.skippedCount,
            worstRTOSeconds: run.scenarios.compactMap(\.measurement.rtoSeconds).max(),
            worstRPOSeconds: run.scenarios.compactMap(\.measurement.rpoSeconds).max())
    }

    /// "better", "worse" or "about the same". For durations a change of at most 10 % or one
    /// second is noise on a scratch server; a pass rate is the same only when equal.
    static func direction(now: Double, before: Double, lowerIsBetter: Bool, isDuration: Bool) -> String {
        let change = now - before
        let unchanged = isDuration ? abs(change) <= max(abs(before) * 0.10, 1.0) : change == 0
        if unchanged { return "about the same" }
        return (change < 0) == lowerIsBetter ? "better" : "worse"
    }

    static func compare(_ now: RunPoint, _ before: RunPoint) -> String {
        var parts: [String] = []
        if let rate = now.passRate, let old = before.passRate {
            parts.append("pass rate \(ComplianceFormat.percent(rate)) (was \(ComplianceFormat.percent(old)), \(direction(now: rate, before: old, lowerIsBetter: false, isDuration: false)))")
        }
        if let rto = now.worstRTOSeconds, let old = before.worstRTOSeconds {
            parts.append("slowest recovery \(ComplianceFormat.duration(rto)) (was \(ComplianceFormat.duration(old)), \(direction(now: rto, before: old, lowerIsBetter: true, isDuration: true)))")
        }
        if let rpo = now.worstRPOSeconds, let old = before.worstRPOSeconds {
            parts.append("largest data loss \(ComplianceFormat.duration(rpo)) (was \(ComplianceFormat.duration(old)), \(direction(now: rpo, before: old, lowerIsBetter: true, isDuration: true)))")
        }
        return "Compared with the previous full drill (\(ComplianceFormat.day(before.startedAt))), the latest (\(ComplianceFormat.day(now.startedAt))) had " + (parts.isEmpty ? "no comparable figures" : parts.joined(separator: "; ")) + "."
    }
}
