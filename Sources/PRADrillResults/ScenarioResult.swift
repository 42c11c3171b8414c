import Foundation

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
