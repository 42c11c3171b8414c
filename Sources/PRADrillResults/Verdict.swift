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
