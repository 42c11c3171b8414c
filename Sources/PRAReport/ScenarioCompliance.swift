import Foundation
import PRADrillResults

/// One scenario of the latest run as the report shows it: verdict, measured RTO and RPO against
/// targets, the RTO phases, why it failed or was skipped, and its projection.
public struct ScenarioCompliance: Sendable, Equatable, Encodable {
    /// The scenario's name, description, verdict and skip reason, as recorded.
    public var name: String
    public var description: String
    public var verdict: Verdict
    public var skippedReason: String?
    /// The first failed check's message, or the runner error: what to read first.
    public var failure: String?
    /// Every failed check, `name: message`.
    public var failedChecks: [String]
    /// Measured RTO and RPO (`nil`: not measured) with their targets, the RTO phases and the heartbeat counts.
    public var rtoSeconds: Double?
    public var rtoTargetSeconds: Double
    public var rtoPhases: [PhaseRecord]
    public var rpoSeconds: Double?
    public var rpoTargetSeconds: Double
    public var heartbeatsWritten: Int?
    public var heartbeatsRecovered: Int?
    /// The scenario's projection; `nil` when it was skipped or recorded nothing to project from.
    public var projection: ScheduleProjection?
    /// Wall time of the scenario.
    public var seconds: Double
    /// What the scenario proves when it measures no RTO or RPO (from its description and
    /// checks), for the table's "Why" column; `nil` when it measured both.
    public var proves: String?

    /// The row for `scenario`, projected with `settings` (values the run recorded fill in what
    /// the settings leave unset).
    /// `restoreModel` and `backupModel` are the fits over the history (``RestoreTimeModel``);
    /// without them the projection is the throughput-only upper bound.
    public init(_ scenario: ScenarioResult, settings: ComplianceSettings, restoreModel: RestoreTimeModel? = nil, backupModel: RestoreTimeModel? = nil) {
        name = scenario.name
        description = scenario.description
        verdict = scenario.verdict
        skippedReason = scenario.skippedReason
        failure = scenario.verdict == .failed ? scenario.failureSummary : nil
        failedChecks = scenario.checks.filter { !$0.passed }.map { "\($0.name): \($0.message ?? "failed")" }
        let m = scenario.measurement
        rtoSeconds = m.rtoSeconds
        rtoTargetSeconds = m.rtoTargetSeconds
        rtoPhases = m.rtoPhases
        rpoSeconds = m.rpoSeconds
        rpoTargetSeconds = m.rpoTargetSeconds
        heartbeatsWritten = m.heartbeatsWritten
        heartbeatsRecovered = m.heartbeatsRecovered
        seconds = scenario.seconds
        projection = scenario.verdict == .skipped ? nil : Self.projectionInputs(scenario, settings: settings).map { inputs in
            var inputs = inputs
            inputs.restoreModel = restoreModel
            inputs.backupModel = backupModel
            return ScheduleProjection(inputs)
        }
        proves = Self.whatItProves(scenario)
    }

    /// The projection inputs of `scenario`: its recorded throughput and backup duration, the
    /// drill database size recovered from the restore step that ended the RTO, and the schedule
    /// from `settings` (or as recorded). `nil` when it recorded no projections at all.
    public static func projectionInputs(_ scenario: ScenarioResult, settings: ComplianceSettings) -> ScheduleProjection.Inputs? {
        guard let recorded = scenario.measurement.projections else { return nil }
        let m = scenario.measurement
        var inputs = ScheduleProjection.Inputs(
            productionBytes: settings.productionDatabaseBytes ?? settings.productionSizeFromEvidence ?? recorded.productionDatabaseBytes,
            restoreBytesPerSecond: recorded.restoreBytesPerSecond,
            backupSeconds: recorded.backupSeconds,
            backupIntervalSeconds: settings.backupIntervalSeconds ?? recorded.backupIntervalSeconds,
            copySeconds: settings.copySeconds,
            rtoTargetSeconds: settings.rtoTargetSeconds ?? m.rtoTargetSeconds,
            rpoTargetSeconds: settings.rpoTargetSeconds ?? m.rpoTargetSeconds)
        if settings.productionDatabaseBytes == nil {
            inputs.productionSizeSource = settings.productionSizeFromEvidence != nil ? "the newest status sample" : "PRODUCTION_DB_SIZE at drill time"
        }
        inputs.archiveTimeoutSeconds = recorded.archiveTimeoutSeconds
        inputs.archiveLagSeconds = recorded.archiveLagSeconds
        if let step = recoveryRestoreStep(scenario) {
            if let rate = recorded.restoreBytesPerSecond { inputs.drillDatabaseBytes = rate * step.seconds }
            if let rto = m.rtoSeconds { inputs.recoveryOverheadSeconds = max(0, rto - step.seconds) }
        }
        return inputs
    }

    /// The restore that ended the RTO: the first successful restore after the first disaster
    /// (the runner measures recovery on that step).
    static func recoveryRestoreStep(_ scenario: ScenarioResult) -> StepRecord? {
        let steps = scenario.steps.sorted { $0.index < $1.index }
        guard let disaster = steps.first(where: { $0.kind == "disaster" }) else { return nil }
        return steps.first { $0.index > disaster.index && $0.kind == "restore" && $0.exitCode == 0 }
    }

    /// What `scenario` proves instead of an RTO or RPO: "Proves: <description>", and the
    /// number of checks behind it; `nil` when it measured both an RTO and an RPO (the figures
    /// speak). A scenario that measured only one says which one it does not measure and why.
    static func whatItProves(_ scenario: ScenarioResult) -> String? {
        let m = scenario.measurement
        if m.rtoSeconds != nil && m.rpoSeconds != nil { return nil }
        let description = scenario.description.trimmingCharacters(in: .whitespacesAndNewlines)
        var text = description.isEmpty ? "Proves what its \(ComplianceFormat.count(scenario.checks.count, "check")) check" : "Proves: " + description
        if !description.isEmpty && !text.hasSuffix(".") { text += "." }
        let passed = scenario.checks.filter(\.passed).count
        if !scenario.checks.isEmpty && !description.isEmpty {
            text += " \(passed) of \(ComplianceFormat.count(scenario.checks.count, "check")) passed."
        }
        switch (m.rtoSeconds, m.rpoSeconds) {
        case (nil, nil):
            text += scenario.steps.contains { $0.kind == "disaster" }
                ? " No RTO or RPO: it checks how the disaster is caught, not how long a recovery takes."
                : " No RTO or RPO: it injects no disaster to recover from; its checks are the proof."
        case (_?, nil):
            text += " No RPO: no heartbeat workload to measure data loss from."
        default:
            break
        }
        return text
    }

    /// `PASSED ✓`, `FAILED ✗`, `SKIPPED ⊘`: the verdict in words and a symbol, never colour alone.
    public static func label(_ verdict: Verdict) -> String {
        switch verdict {
        case .passed: return "PASSED ✓"
        case .failed: return "FAILED ✗"
        case .skipped: return "SKIPPED ⊘"
        }
    }
}
