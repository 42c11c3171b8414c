import Foundation

/// The runner's checks of a scenario's measured figures against its targets. The raw value is
/// the check's recorded ``CheckResult/name`` (the JSON and JUnit name), so the drill runner
/// writes them and the report finds them through this type, never by matching text.
public enum TargetCheck: String, Sendable, CaseIterable, Codable {
    case rto = "RTO within target"
    case rpo = "RPO within target"
}

extension CheckResult {
    /// Which target check this is, when it is one.
    public var targetCheck: TargetCheck? { TargetCheck(rawValue: name) }

    /// A check of `target`, named by it.
    public init(_ target: TargetCheck, passed: Bool, expected: String? = nil, actual: String? = nil, message: String? = nil, seconds: Double = 0) {
        self.init(name: target.rawValue, passed: passed, expected: expected, actual: actual, message: message, seconds: seconds)
    }
}
