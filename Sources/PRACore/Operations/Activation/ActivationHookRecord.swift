import Foundation

/// What one switch hook did: for the report, and for a resumed activation to know where the
/// switch stopped.
public struct ActivationHookRecord: Codable, Sendable, Equatable {
    public var name: String
    public var command: String
    public var startedAt: Date
    public var seconds: Double
    public var exitCode: Int32?
    public var timedOut: Bool
    public var succeeded: Bool
    /// The first `outputLimit` bytes of stdout.
    public var standardOutput: String
    /// The last `outputLimit` bytes of stderr.
    public var standardError: String
    /// Why it could not run or failed, one line.
    public var failure: String?

    /// How much of each stream the report keeps.
    public static let outputLimit = 8 * 1024

    public init(name: String, command: String, startedAt: Date, seconds: Double, exitCode: Int32?, timedOut: Bool, succeeded: Bool, standardOutput: String, standardError: String, failure: String?) {
        self.name = name
        self.command = command
        self.startedAt = startedAt
        self.seconds = seconds
        self.exitCode = exitCode
        self.timedOut = timedOut
        self.succeeded = succeeded
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.failure = failure
    }


    /// The end of `text`, bounded, with a note when cut.
    static func tail(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count > outputLimit else { return text }
        return "[... \(bytes.count - outputLimit) bytes before]\n" + String(decoding: bytes.suffix(outputLimit), as: UTF8.self)
    }
}
