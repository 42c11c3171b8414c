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
        try waitForAnswer(until: answerDeadline(), sql: statement)
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
                // No whole row buffered: wait for more (the limits hold between two reads).
                try waitForSocket(Int16(POLLIN), until: answerDeadline(), sql: statement)
                _ = PQconsumeInput(handle)  // a broken connection: PQgetCopyData then says so
            } else {
                break  // -1: the COPY ended; -2: an error, which the result below carries
            }
        }
        // The COPY's own result, then nothing.
        var serverError: PostgresError?
        while true {
            try waitForAnswer(until: answerDeadline(), sql: statement)
            guard let raw = PQgetResult(handle) else { break }
            let result = PostgresResult(handle: raw)
            if PQresultStatus(raw) != PGRES_COMMAND_OK && serverError == nil {
                serverError = error(from: result, sql: statement)
            }
        }
        if let serverError { throw serverError }
        return rows
    }
}
