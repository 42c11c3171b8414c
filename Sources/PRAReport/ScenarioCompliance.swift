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

    /// The row for `scenario`, projected with `settings` (values the run recorded fill in what
    /// the settings leave unset).
    public init(_ scenario: ScenarioResult, settings: ComplianceSettings) {
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
        projection = scenario.verdict == .skipped ? nil : Self.projectionInputs(scenario, settings: settings).map(ScheduleProjection.init)
    }

    /// The projection inputs of `scenario`: its recorded throughput and backup duration, the
    /// drill database size recovered from the restore step that ended the RTO, and the schedule
    /// from `settings` (or as recorded). `nil` when it recorded no projections at all.
    public static func projectionInputs(_ scenario: ScenarioResult, settings: ComplianceSettings) -> ScheduleProjection.Inputs? {
        guard let recorded = scenario.measurement.projections else { return nil }
        let m = scenario.measurement
        var inputs = ScheduleProjection.Inputs(
            productionBytes: settings.productionDatabaseBytes ?? recorded.productionDatabaseBytes,
            restoreBytesPerSecond: recorded.restoreBytesPerSecond,
            backupSeconds: recorded.backupSeconds,
            backupIntervalSeconds: settings.backupIntervalSeconds ?? recorded.backupIntervalSeconds,
            copySeconds: settings.copySeconds,
            rtoTargetSeconds: settings.rtoTargetSeconds ?? m.rtoTargetSeconds,
            rpoTargetSeconds: settings.rpoTargetSeconds ?? m.rpoTargetSeconds)
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

    /// `PASSED ✓`, `FAILED ✗`, `SKIPPED ⊘`: the verdict in words and a symbol, never colour alone.
    public static func label(_ verdict: Verdict) -> String {
        switch verdict {
        case .passed: return "PASSED ✓"
        case .failed: return "FAILED ✗"
        case .skipped: return "SKIPPED ⊘"
        }
    }
}
