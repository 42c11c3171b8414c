/// An alert that could not be delivered: which channel, which server, what it said.
public struct AlertError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `slack` or `email`.
    public let channel: String
    /// The server, without secrets (the webhook's host, the SMTP URL without credentials).
    public let server: String
    public let message: String

    public init(channel: String, server: String, message: String) {
        self.channel = channel
        self.server = server
        self.message = message
    }

    public var description: String { "\(channel) alert via \(server) failed: \(message)" }
}
