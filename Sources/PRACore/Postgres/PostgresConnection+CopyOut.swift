import CLibPQ
import Foundation

extension PostgresConnection {
    /// Runs `statement` (a `COPY ... TO STDOUT`) and hands each data row, as the server sent
    /// it, to `consume`; returns the rows read. Reads in libpq's asynchronous mode, polling the
    /// socket, so that ``statementTimeout`` (between two reads) and ``operationDeadline`` hold
    /// on a dead network. If `consume` throws, the session is abandoned (a COPY cannot be
    /// stopped half-way on its connection) and the error rethrown; a server error is thrown as
    /// ``PostgresError`` with its message, SQLSTATE and the statement.
    @discardableResult
    public func copyOut(_ statement: String, consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        guard !abandoned else {
            throw PostgresError(kind: .timedOut, message: "the session was abandoned after a statement timed out", statement: Self.shorten(statement))
        }
        guard PQsendQuery(handle, statement) == 1 else {
            throw PostgresError(kind: .connectionLost, message: Self.firstLine(String(cString: PQerrorMessage(handle))), statement: Self.shorten(statement))
        }
        while PQisBusy(handle) == 1 { try awaitInput(statement) }
        guard let started = PQgetResult(handle) else {
            throw PostgresError(kind: .connectionLost, message: Self.firstLine(String(cString: PQerrorMessage(handle))), statement: Self.shorten(statement))
        }
        let first = PostgresResult(handle: started)
        guard PQresultStatus(started) == PGRES_COPY_OUT else {
            let failure = PQresultStatus(started) == PGRES_FATAL_ERROR || PQresultStatus(started) == PGRES_BAD_RESPONSE
                ? error(from: first, sql: statement)
                : PostgresError(kind: .server, message: "not a COPY TO STDOUT statement", statement: Self.shorten(statement))
            while let rest = PQgetResult(handle) { PQclear(rest) }
            throw failure
        }
        var rows: Int64 = 0
        var buffer: UnsafeMutablePointer<CChar>?
        while true {
            let length = PQgetCopyData(handle, &buffer, 1)
            if length > 0, let row = buffer {
                defer { PQfreemem(row); buffer = nil }
                rows += 1
                do {
                    try consume(UnsafeRawBufferPointer(start: row, count: Int(length)))
                } catch {
                    abandoned = true
                    throw error
                }
            } else if length == 0 {
                try awaitInput(statement)
            } else {
                break  // -1: the COPY ended; -2: an error, which the result below carries
            }
        }
        // The COPY's own result, then nothing.
        var serverError: PostgresError?
        while true {
            while PQisBusy(handle) == 1 { try awaitInput(statement) }
            guard let raw = PQgetResult(handle) else { break }
            let result = PostgresResult(handle: raw)
            if PQresultStatus(raw) != PGRES_COMMAND_OK && serverError == nil {
                serverError = error(from: result, sql: statement)
            }
        }
        if let serverError { throw serverError }
        return rows
    }

    /// Waits until the socket has something to read and lets libpq read it; throws
    /// ``PostgresError/Kind/timedOut`` past the statement's or the operation's limit, abandoning
    /// the session. A broken connection is left for the next libpq call to report.
    private func awaitInput(_ statement: String) throws(PostgresError) {
        let statementEnd = statementTimeout.map { MonotonicClock.now().adding($0) }
        var deadline = statementEnd
        var setting = "STATEMENT_TIMEOUT \(DurationParser.format(statementTimeout ?? 0))"
        if let operation = operationDeadline, statementEnd.map({ operation.end.remaining() < $0.remaining() }) ?? true {
            (deadline, setting) = (operation.end, operation.setting)
        }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        while true {
            let waited = poll(&descriptor, 1, deadline.map { Int32(max(0, min($0.remaining(), 3600)) * 1000) } ?? -1)
            if waited > 0 || (waited < 0 && errno != EINTR) { break }
            if waited == 0, let deadline, deadline.remaining() <= 0 {
                abandoned = true
                throw PostgresError(kind: .timedOut, message: "timed out (\(setting)) waiting for the server's COPY data; the network or the server is not responding", statement: Self.shorten(statement))
            }
        }
        _ = PQconsumeInput(handle)
    }
}
