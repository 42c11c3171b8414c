import CLibPQ
import Foundation

/// One libpq connection (`PGconn`), closed with `PQfinish` in `deinit`.
///
/// Not thread-safe: use it from one thread at a time. It is `@unchecked Sendable` so that an
/// operation may hand it to a worker thread while it waits for that thread.
public final class PostgresConnection: @unchecked Sendable {
    let handle: OpaquePointer

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

    /// Connects with the settings' libpq parameters, naming the session for `pg_stat_activity`.
    public convenience init(_ settings: ConnectionSettings, database: String? = nil, applicationName: String) throws(PostgresError) {
        var parameters = settings.libpqParameters
        if let database { parameters["dbname"] = database }
        parameters["application_name"] = applicationName
        try self.init(parameters: parameters)
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

    /// Runs one statement (or several, without parameters) and returns its result.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresResult {
        let raw: OpaquePointer?
        if parameters.isEmpty {
            raw = PQexec(handle, sql)
        } else {
            var pointers: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
            defer { pointers.forEach { free($0) } }
            raw = pointers.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                    PQexecParams(handle, sql, Int32(buffer.count), nil, $0, nil, nil, 0)
                }
            }
        }
        guard let raw else {
            throw PostgresError(kind: .connectionLost, message: Self.firstLine(String(cString: PQerrorMessage(handle))), statement: Self.shorten(sql))
        }
        let result = PostgresResult(handle: raw)
        switch PQresultStatus(raw) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        default:
            throw error(from: result, sql: sql)
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
