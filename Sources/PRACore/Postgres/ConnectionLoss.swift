/// One stable wording for a connection to PostgreSQL lost in the middle of an operation,
/// whichever connection it hits: an open session ("connection to PostgreSQL lost: ..."), a
/// connection being opened by a parallel loader ("cannot connect to PostgreSQL: ... server
/// closed the connection unexpectedly"), or a psql child ("psql: ... connection to server was
/// lost"). Scripts and drills match ``prefix``; the original text follows it.
public enum ConnectionLoss {
    /// The text every such failure starts with.
    public static let prefix = "connection to PostgreSQL lost"

    /// What libpq and psql write when a connection breaks (a TCP reset, a terminated backend,
    /// a server that went away).
    static let symptoms = [
        "server closed the connection unexpectedly", "connection to server was lost", "Connection reset by peer",
        "could not receive data from server", "could not send data to server", "no connection to the server",
        "SSL SYSCALL error", "terminating connection due to administrator command", "Broken pipe",
    ]

    /// Whether `message` describes a broken connection.
    public static func matches(_ message: String) -> Bool {
        message.hasPrefix(prefix) || symptoms.contains { message.contains($0) }
    }

    /// `message` with ``prefix`` in front when it describes a broken connection (once), else unchanged.
    public static func normalized(_ message: String) -> String {
        guard !message.hasPrefix(prefix), matches(message) else { return message }
        let connectPrefix = "cannot connect to PostgreSQL: "
        let rest = message.hasPrefix(connectPrefix) ? String(message.dropFirst(connectPrefix.count)) : message
        return "\(prefix): \(rest)"
    }
}
