/// A usage or configuration mistake: exit code 2, with a message naming the variable or file.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
