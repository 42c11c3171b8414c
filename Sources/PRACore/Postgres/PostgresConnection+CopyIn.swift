import CLibPQ

extension PostgresConnection {
    /// Runs `statement` (a `COPY ... FROM stdin`) and streams its data: `produce` calls
    /// `send` with each piece of COPY text. If `produce` throws, the COPY is aborted on the
    /// server (nothing of it stays) and the error rethrown; a server error is thrown as
    /// ``PostgresError`` with its message, SQLSTATE and the statement.
    public func copyIn(_ statement: String, produce: (_ send: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        guard let started = PQexec(handle, statement) else {
            throw PostgresError(kind: .connectionLost, message: Self.firstLine(String(cString: PQerrorMessage(handle))), statement: Self.shorten(statement))
        }
        let first = PostgresResult(handle: started)
        guard PQresultStatus(started) == PGRES_COPY_IN else {
            if PQresultStatus(started) == PGRES_COMMAND_OK || PQresultStatus(started) == PGRES_TUPLES_OK {
                throw PostgresError(kind: .server, message: "not a COPY FROM stdin statement", statement: Self.shorten(statement))
            }
            throw error(from: first, sql: statement)
        }
        let send = { (bytes: UnsafeRawBufferPointer) throws -> Void in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            if PQputCopyData(self.handle, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count)) != 1 {
                throw PostgresError(kind: .connectionLost, message: Self.firstLine(String(cString: PQerrorMessage(self.handle))), statement: Self.shorten(statement))
            }
        }
        var failure: Error?
        do {
            try produce(send)
        } catch {
            failure = error
        }
        PQputCopyEnd(handle, failure == nil ? nil : "aborted by pra")
        // The COPY's own result, then nothing (PQgetResult returns NULL at the end).
        var serverError: PostgresError?
        while let raw = PQgetResult(handle) {
            let result = PostgresResult(handle: raw)
            let status = PQresultStatus(raw)
            if status != PGRES_COMMAND_OK && serverError == nil && failure == nil {
                serverError = error(from: result, sql: statement)
            }
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
    }
}
