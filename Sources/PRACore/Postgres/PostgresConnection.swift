import CLibPQ
import Foundation

/// One libpq connection (`PGconn`), closed with `PQfinish` in `deinit`.
///
/// Not thread-safe: use it from one thread at a time. It is `@unchecked Sendable` so that an
/// operation may hand it to a worker thread while it waits for that thread.
public final class PostgresConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// The longest a statement may wait for the server's answer, in seconds (`nil`: no limit).
    /// Enforced on the client (poll on the socket), so it holds when the network is dead and no
    /// server-side timeout could reach back. Statements whose work grows with the data (row
    /// counts, fixture generation) lift it while they run.
    public var statementTimeout: Double?
    /// An end no statement waits past, whatever ``statementTimeout`` allows: the limit of the
    /// whole operation the session serves (`BACKUP_TIMEOUT` for a backup's catalogue queries),
    /// named by `setting` in the error.
    public var operationDeadline: (end: MonotonicClock, setting: String)?
    /// Set when a statement outlived ``statementTimeout``: its answer may still arrive, so the
    /// session cannot be reused (as after a COPY left half-read).
    var abandoned = false

    /// Connects with the given libpq keywords (`host`, `port`, `dbname`, ...).
    public init(parameters: [String: String]) throws(PostgresError) {
        let keys = Array(parameters.keys)
        var keywordPointers: [UnsafeMutablePointer<CChar>?] = keys.map { strdup($0) } + [nil]
        var valuePointers: [UnsafeMutablePointer<CChar>?] = keys.map { strdup(parameters[$0]!) } + [nil]
        defer {
            keywordPointers.forEach { free($0) }
            valuePointers.forEach { free($0) }
        }
        let connection = keywordPointers.withUnsafeMutableBufferPointer { keywords in
            valuePointers.withUnsafeMutableBufferPointer { values in
                keywords.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: keywords.count) { k in
                    values.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: values.count) { v in
                        PQconnectdbParams(k, v, 0)
                    }
                }
            }
        }
        guard let connection else {
            throw PostgresError(kind: .connection, message: "libpq could not allocate a connection")
        }
        handle = connection
        // Notices (e.g. "does not exist, skipping") are not for the user's terminal.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        if PQstatus(handle) != CONNECTION_OK {
            throw PostgresError(kind: .connection, message: Self.firstLine(String(cString: PQerrorMessage(handle))))
        }
    }

    /// Connects with the settings' libpq parameters, naming the session for `pg_stat_activity`;
    /// the settings' ``ConnectionSettings/networkParameters`` notice a dead TCP link and their
    /// ``ConnectionSettings/statementTimeout`` bounds every statement.
    public convenience init(_ settings: ConnectionSettings, database: String? = nil, applicationName: String) throws(PostgresError) {
        var parameters = settings.networkParameters.merging(settings.libpqParameters) { $1 }
        if let database { parameters["dbname"] = database }
        parameters["application_name"] = applicationName
        try self.init(parameters: parameters)
        statementTimeout = settings.statementTimeout
    }

    deinit {
        PQfinish(handle)
    }

    /// Server version as libpq reports it (for example 150018).
    public var serverVersionNumber: Int { Int(PQserverVersion(handle)) }

    /// The database this connection is attached to.
    public var databaseName: String { String(cString: PQdb(handle)) }

    /// Backend process id serving this connection.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Runs one statement (or several, without parameters) and returns its result; throws a
    /// ``PostgresError/Kind/timedOut`` error when no answer came within ``statementTimeout``.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresResult {
        guard !abandoned else {
            throw PostgresError(kind: .timedOut, message: "the session was abandoned after a statement timed out", statement: Self.shorten(sql))
        }
        var pointers: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { pointers.forEach { free($0) } }
        let sent: Int32
        if parameters.isEmpty {
            sent = PQsendQuery(handle, sql)
        } else {
            sent = pointers.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                    PQsendQueryParams(handle, sql, Int32(buffer.count), nil, $0, nil, nil, 0)
                }
            }
        }
        guard sent == 1 else {
            throw PostgresError(kind: .connectionLost, message: Self.firstLine(String(cString: PQerrorMessage(handle))), statement: Self.shorten(sql))
        }
        let deadline = answerDeadline()
        // Like PQexec: the first failed result, else the last one.
        var kept: PostgresResult?
        while true {
            try waitForAnswer(until: deadline, sql: sql)
            guard let raw = PQgetResult(handle) else { break }
            let result = PostgresResult(handle: raw)
            let status = PQresultStatus(raw)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH { break }
            if let previous = kept, !Self.succeeded(previous) { continue }
            kept = result
        }
        guard let kept else {
            throw PostgresError(kind: .connectionLost, message: Self.firstLine(String(cString: PQerrorMessage(handle))), statement: Self.shorten(sql))
        }
        guard Self.succeeded(kept) else { throw error(from: kept, sql: sql) }
        return kept
    }

    private static func succeeded(_ result: PostgresResult) -> Bool {
        [PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY].contains(PQresultStatus(result.handle))
    }

    /// Where a wait for the server that starts now must end: ``statementTimeout`` from now, or
    /// the operation's end when it comes first (or statements have no limit), with the setting
    /// that names it.
    func answerDeadline() -> (end: MonotonicClock?, operationSetting: String?) {
        let statementEnd = statementTimeout.map { MonotonicClock.now().adding($0) }
        if let operation = operationDeadline, statementEnd.map({ operation.end.remaining() < $0.remaining() }) ?? true {
            return (operation.end, operation.setting)
        }
        return (statementEnd, nil)
    }

    /// Sends what libpq still buffers and reads until a whole result is there, polling the
    /// socket so that `deadline` holds whatever the network does.
    func waitForAnswer(until deadline: (end: MonotonicClock?, operationSetting: String?), sql: String) throws(PostgresError) {
        var flushing = PQflush(handle)
        while flushing == 1 {
            try waitForSocket(Int16(POLLOUT | POLLIN), until: deadline, sql: sql)
            if PQconsumeInput(handle) == 0 { return }
            flushing = PQflush(handle)
        }
        while PQisBusy(handle) == 1 {
            try waitForSocket(Int16(POLLIN), until: deadline, sql: sql)
            // A broken connection: PQgetResult then reports the error.
            if PQconsumeInput(handle) == 0 { return }
        }
    }

    /// Polls the socket for `events`; past `deadline` the session is abandoned and a
    /// ``PostgresError/Kind/timedOut`` error names the setting whose limit it was.
    func waitForSocket(_ events: Int16, until deadline: (end: MonotonicClock?, operationSetting: String?), sql: String) throws(PostgresError) {
        var descriptor = pollfd(fd: PQsocket(handle), events: events, revents: 0)
        // Waits of at most an hour each (poll takes an Int32 of milliseconds), until the deadline.
        while poll(&descriptor, 1, deadline.end.map { Int32(min($0.remaining(), 3600) * 1000) } ?? -1) == 0 {
            if let end = deadline.end, end.remaining() > 0 { continue }
            abandoned = true
            if let operationSetting = deadline.operationSetting {
                throw PostgresError(kind: .timedOut, message: "timed out (\(operationSetting)) waiting for the server's answer; the network or the server is not responding", statement: Self.shorten(sql))
            }
            throw PostgresError(kind: .timedOut, message: "no answer from the server within \(DurationParser.format(statementTimeout ?? 0)) (STATEMENT_TIMEOUT); the network or the server is not responding", statement: Self.shorten(sql))
        }
    }

    /// The first column of the first row, or `nil`.
    public func scalar(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> String? {
        let result = try execute(sql, parameters)
        return result.rowCount > 0 ? result.value(0, 0) : nil
    }

    func error(from result: PostgresResult, sql: String) -> PostgresError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result.handle, code).map { String(cString: $0) }
        }
        let sqlState = field(pra_diag_sqlstate)
        let primary = field(pra_diag_message_primary) ?? Self.firstLine(String(cString: PQresultErrorMessage(result.handle)))
        let lost = PQstatus(handle) != CONNECTION_OK || sqlState == nil || sqlState == "57P01"
        return PostgresError(
            kind: lost ? .connectionLost : .server,
            message: primary.isEmpty ? Self.firstLine(String(cString: PQerrorMessage(handle))) : primary,
            sqlState: sqlState,
            detail: field(pra_diag_message_detail),
            hint: field(pra_diag_message_hint),
            statement: Self.shorten(sql))
    }

    /// Quotes an SQL identifier (`"name"`, doubling embedded quotes).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func firstLine(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let line = trimmed.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? trimmed
        return line.hasPrefix("FATAL:  ") ? String(line.dropFirst(8)) : line.hasPrefix("ERROR:  ") ? String(line.dropFirst(8)) : line
    }

    static func shorten(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 120 ? String(flat.prefix(117)) + "..." : flat
    }
}
