import Foundation

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
