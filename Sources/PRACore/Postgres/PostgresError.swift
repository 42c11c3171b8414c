/// A failure reported by libpq or by the PostgreSQL server, with the server's fields.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// The connection could not be established.
        case connection
        /// The server rejected a statement.
        case server
        /// The connection broke while a statement ran (terminated backend, server crash).
        case connectionLost = "connection-lost"
        /// No answer within the statement timeout (a dead network or a stuck server).
        case timedOut = "timed-out"
    }

    public let kind: Kind
    /// The primary message, as the server or libpq wrote it (first line).
    public let message: String
    /// Five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    public let detail: String?
    public let hint: String?
    /// The statement that failed, shortened, when there was one.
    public let statement: String?

    public init(kind: Kind, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil, statement: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.statement = statement
    }

    public var description: String {
        var text: String
        switch kind {
        case .connection: text = "cannot connect to PostgreSQL: \(message)"
        case .server: text = "server error: \(message)"
        case .connectionLost: text = "connection to PostgreSQL lost: \(message)"
        case .timedOut: text = "PostgreSQL did not answer: \(message)"
        }
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        return text
    }
}
