import Testing

@testable import PRACore

/// One error class for a connection lost mid-operation, whichever connection it hits (issue 25, item 6).
@Suite("ConnectionLoss: one wording for a broken connection")
struct ConnectionLossTests {
    @Test("the texts a reset produces on an open session, on a connection being opened and in psql all start with the same words", arguments: [
        "connection to PostgreSQL lost: server closed the connection unexpectedly",
        "cannot connect to PostgreSQL: connection to server at \"127.0.0.1\", port 41234 failed: server closed the connection unexpectedly",
        "psql:<stdin>:120: error: connection to server was lost",
        "could not receive data from server: Connection reset by peer",
        "server error: terminating connection due to administrator command (SQLSTATE 57P01)",
    ])
    func normalized(_ message: String) {
        let text = ConnectionLoss.normalized(message)
        #expect(text.hasPrefix("connection to PostgreSQL lost: "), "\(text)")
        #expect(!text.hasPrefix("connection to PostgreSQL lost: connection to PostgreSQL lost"), "\(text)")
        #expect(!text.contains("cannot connect to PostgreSQL"), "\(text)")
    }

    @Test("other failures keep their text", arguments: [
        "cannot connect to PostgreSQL: connection to server at \"127.0.0.1\", port 1 failed: Connection refused",
        "server error: relation \"x\" does not exist (SQLSTATE 42P01)",
        "archive.sql.gz is not a valid archive",
    ])
    func unchanged(_ message: String) {
        #expect(ConnectionLoss.normalized(message) == message)
    }
}
