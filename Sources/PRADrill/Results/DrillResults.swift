import Foundation

/// How a scenario ended.
public enum Verdict: String, Codable, Sendable {
    /// Every expectation and measurement held.
    case passed
    /// At least one expectation or measurement did not hold, or the run broke.
    case failed
    /// The scenario could not run here (for example a fault that needs root); never a pass.
    case skipped
}

/// One judged expectation or measurement: a JUnit `testcase`.
public struct CheckResult: Codable, Sendable, Equatable {
    /// What was checked, e.g. `step 2 backup: exit code`.
    public var name: String
    public var passed: Bool
    /// The expected value, as text (`failure`, `1`, `≤ 30m00s`).
    public var expected: String?
    /// The observed value, as text.
    public var actual: String?
    /// Why it failed, in words: "expected failure, got success (exit 0)". `nil` when passed.
    public var message: String?
    public var seconds: Double

    public init(name: String, passed: Bool, expected: String? = nil, actual: String? = nil, message: String? = nil, seconds: Double = 0) {
        self.name = name
        self.passed = passed
        self.expected = expected
        self.actual = actual
        self.message = message
        self.seconds = seconds
    }
}

/// What one step did.
public struct StepRecord: Codable, Sendable, Equatable {
    /// 1-based position in the scenario.
    public var index: Int
    /// `backup`, `verify`, `restore`, `status`, `fault`, `disaster`, `wait`.
    public var kind: String
    /// One line: "backup with kill-connections after 512 KiB".
    public var summary: String
    public var startedAt: Date
    public var seconds: Double
    /// Exit code of the `pra` child, for core steps.
    public var exitCode: Int32?
    /// The child's one-line error (stderr), when it failed.
    public var errorLine: String?

    public init(index: Int, kind: String, summary: String, startedAt: Date, seconds: Double, exitCode: Int32? = nil, errorLine: String? = nil) {
        self.index = index
        self.kind = kind
        self.summary = summary
        self.startedAt = startedAt
        self.seconds = seconds
        self.exitCode = exitCode
        self.errorLine = errorLine
    }
}

/// A named duration.
public struct PhaseRecord: Codable, Sendable, Equatable {
    public var name: String
    public var seconds: Double

    public init(name: String, seconds: Double) {
        self.name = name
        self.seconds = seconds
    }
}

/// What production would see, from the measured figures and the configured schedule.
/// Always labelled as projections next to the measured values.
public struct Projections: Codable, Sendable, Equatable {
    /// `PRODUCTION_DB_SIZE` in bytes, when configured.
    public var productionDatabaseBytes: Double?
    /// Measured restore throughput: database bytes restored per second of the restore.
    public var restoreBytesPerSecond: Double?
    /// RTO at `PRODUCTION_DB_SIZE` at the measured throughput.
    public var projectedRTOSeconds: Double?
    /// `BACKUP_INTERVAL`.
    public var backupIntervalSeconds: Double
    /// Measured duration of the scenario's last successful backup.
    public var backupSeconds: Double?
    /// Worst-case RPO: backup interval + the measured backup duration (not scaled to production).
    public var worstCaseRPOSeconds: Double?

    public init(productionDatabaseBytes: Double? = nil, restoreBytesPerSecond: Double? = nil, projectedRTOSeconds: Double? = nil, backupIntervalSeconds: Double, backupSeconds: Double? = nil, worstCaseRPOSeconds: Double? = nil) {
        self.productionDatabaseBytes = productionDatabaseBytes
        self.restoreBytesPerSecond = restoreBytesPerSecond
        self.projectedRTOSeconds = projectedRTOSeconds
        self.backupIntervalSeconds = backupIntervalSeconds
        self.backupSeconds = backupSeconds
        self.worstCaseRPOSeconds = worstCaseRPOSeconds
    }
}

/// RTO and RPO as measured in a drill (definitions in docs/scenarios.md, "RTO, RPO and projections"), with their targets.
public struct DrillMeasurement: Codable, Sendable, Equatable {
    /// From the disaster to the restored database passing its checks; `nil` when no recovery happened.
    public var rtoSeconds: Double?
    public var rtoTargetSeconds: Double
    /// RTO broken into phases (before restore, then the restore's own phases).
    public var rtoPhases: [PhaseRecord]
    /// Disaster time minus the acknowledged commit time of the newest heartbeat present after restore.
    public var rpoSeconds: Double?
    public var rpoTargetSeconds: Double
    /// Heartbeats acknowledged before the disaster, and how many of them survived.
    public var heartbeatsWritten: Int?
    public var heartbeatsRecovered: Int?
    public var projections: Projections?

    public init(rtoSeconds: Double? = nil, rtoTargetSeconds: Double, rtoPhases: [PhaseRecord] = [], rpoSeconds: Double? = nil, rpoTargetSeconds: Double, heartbeatsWritten: Int? = nil, heartbeatsRecovered: Int? = nil, projections: Projections? = nil) {
        self.rtoSeconds = rtoSeconds
        self.rtoTargetSeconds = rtoTargetSeconds
        self.rtoPhases = rtoPhases
        self.rpoSeconds = rpoSeconds
        self.rpoTargetSeconds = rpoTargetSeconds
        self.heartbeatsWritten = heartbeatsWritten
        self.heartbeatsRecovered = heartbeatsRecovered
        self.projections = projections
    }
}

/// The result of one scenario: a JUnit `testsuite`.
public struct ScenarioResult: Codable, Sendable, Equatable {
    public var name: String
    /// The scenario file, as given on the command line.
    public var file: String
    public var description: String
    public var tags: [String]
    public var verdict: Verdict
    /// Why the scenario was skipped.
    public var skippedReason: String?
    /// A failure of the runner itself (cluster did not start, fixture did not load): a JUnit `error`.
    public var error: String?
    public var fixture: String
    public var scale: Double
    public var startedAt: Date
    public var seconds: Double
    public var checks: [CheckResult]
    public var steps: [StepRecord]
    public var measurement: DrillMeasurement
    /// The step log, line by line (JUnit `system-out`).
    public var log: [String]

    public init(name: String, file: String, description: String, tags: [String], verdict: Verdict, skippedReason: String? = nil, error: String? = nil, fixture: String, scale: Double, startedAt: Date, seconds: Double, checks: [CheckResult], steps: [StepRecord], measurement: DrillMeasurement, log: [String]) {
        self.name = name
        self.file = file
        self.description = description
        self.tags = tags
        self.verdict = verdict
        self.skippedReason = skippedReason
        self.error = error
        self.fixture = fixture
        self.scale = scale
        self.startedAt = startedAt
        self.seconds = seconds
        self.checks = checks
        self.steps = steps
        self.measurement = measurement
        self.log = log
    }

    /// The first failed check's message, or the error: what an on-call engineer reads first.
    public var failureSummary: String? {
        if let error { return error }
        return checks.first { !$0.passed }.map { "\($0.name): \($0.message ?? "failed")" }
    }
}

/// One `pra drill run`: every scenario, in order.
public struct DrillRunResult: Codable, Sendable, Equatable {
    public var runID: String
    public var toolVersion: String
    public var host: String
    public var startedAt: Date
    public var finishedAt: Date
    public var seconds: Double
    public var scenarios: [ScenarioResult]

    public init(runID: String, toolVersion: String, host: String, startedAt: Date, finishedAt: Date, seconds: Double, scenarios: [ScenarioResult]) {
        self.runID = runID
        self.toolVersion = toolVersion
        self.host = host
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.seconds = seconds
        self.scenarios = scenarios
    }

    public var passedCount: Int { scenarios.filter { $0.verdict == .passed }.count }
    public var failedCount: Int { scenarios.filter { $0.verdict == .failed }.count }
    public var skippedCount: Int { scenarios.filter { $0.verdict == .skipped }.count }
    /// True when no scenario failed (skipped ones do not pass, but do not fail the run).
    public var succeeded: Bool { failedCount == 0 }
}
