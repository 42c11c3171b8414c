import Foundation

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
