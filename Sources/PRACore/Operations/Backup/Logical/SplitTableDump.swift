import Foundation

/// The rows of a full backup's largest tables, copied by pra over several connections at once
/// instead of by pg_dump over one: pg_dump's plain format reads every table through a single
/// server process, which on a large table is the whole backup's bottleneck.
///
/// A split backup runs pg_dump twice over the backup's exported snapshot, with one
/// `\restrict` key: sections pre-data and data without the split tables' rows, then section
/// post-data; between them, each split table's COPY entry as pg_dump writes it (its comment
/// block, `COPY schema.table (columns) FROM stdin;`, the rows, `\.`). Its rows come from
/// `PRA_JOBS` sessions that import the snapshot and each copy ranges of the table's pages
/// (`WHERE ctid >= '(a,0)' AND ctid < '(b,0)'`, a TID range scan), in batches of whole rows:
/// the rows of one table are one COPY block in any order, as a heap is. ``DumpSegmentJoin``
/// makes the three parts read as one pg_dump output, so the archive restores with `psql` and
/// verifies like any other.
///
/// Only ordinary permanent tables of at least ``Limits/minimumTableBytes`` are split, without
/// row-level security (pg_dump reports those), not in an extension; only when `PRA_JOBS` ≥ 2,
/// the server has TID range scans (14) and pg_dump takes `--restrict-key`.
struct SplitTableDump {
    /// When a table is split, and in what pieces.
    struct Limits: Sendable {
        /// The smallest table (main fork) whose rows pra copies itself.
        var minimumTableBytes: UInt64
        /// Pages per `COPY`: small enough that the connections finish together.
        var pagesPerChunk: Int64
        static let standard = Limits(minimumTableBytes: 64 << 20, pagesPerChunk: 8192)
    }

    /// A table whose rows pra copies, as the catalogue gives it in the snapshot.
    struct Table: Equatable, Sendable {
        var schema: String
        var name: String
        var owner: String
        /// `quote_ident(schema).quote_ident(name)`, as pg_dump writes it.
        var qualified: String
        /// The dumped columns (not dropped, not generated), quoted, in order.
        var columns: String
        /// The main fork's pages when the plan was made.
        var pages: Int64
    }

    /// A range of pages: `[first, end)`, or from `first` on when `end` is `nil` (the last, so
    /// that pages added since the plan are read too).
    struct Chunk: Equatable, Sendable {
        var first: Int64
        var end: Int64?
    }

    /// Whether a backup may be split: `PRA_JOBS` ≥ 2, a server with TID range scans (14) and a
    /// pg_dump that takes `--restrict-key`.
    static func isAvailable(jobs: Int, serverMajor: Int, pgDumpVersion: String) -> Bool {
        jobs >= 2 && serverMajor >= 14 && supportsRestrictKey(pgDumpVersion)
    }

    /// Whether a pg_dump of this `--version` line takes `--restrict-key` (added in 17.6, 16.10,
    /// 15.14, 14.19 and 13.22).
    static func supportsRestrictKey(_ versionLine: String) -> Bool {
        guard let marker = versionLine.range(of: "(PostgreSQL) ") else { return false }
        let numbers = versionLine[marker.upperBound...].prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
        guard let major = numbers.first else { return false }
        let minor = numbers.count > 1 ? numbers[1] : 0
        switch major {
        case 18...: return true
        case 17: return minor >= 6
        case 16: return minor >= 10
        case 15: return minor >= 14
        case 14: return minor >= 19
        case 13: return minor >= 22
        default: return false
        }
    }

    /// The tables to split, largest first, read on the backup's snapshot session.
    static func tables(_ connection: PostgresConnection, limits: Limits) throws(PostgresError) -> [Table] {
        let rows = try connection.execute("""
            SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner),
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
                   (SELECT string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
                   pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::bigint
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND NOT c.relrowsecurity
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
              AND pg_catalog.pg_relation_size(c.oid) >= $1::bigint
            ORDER BY pg_catalog.pg_relation_size(c.oid) DESC, 1, 2
            """, [String(limits.minimumTableBytes)]).rows
        return rows.compactMap { row in
            guard let columns = row[4], !columns.isEmpty, let pages = row[5].flatMap({ Int64($0) }), pages > 0 else { return nil }
            return Table(schema: row[0] ?? "", name: row[1] ?? "", owner: row[2] ?? "", qualified: row[3] ?? "", columns: columns, pages: pages)
        }
    }

    /// The page ranges of a table of `pages` pages, the last open-ended.
    static func chunks(pages: Int64, pagesPerChunk: Int64) -> [Chunk] {
        let step = max(1, pagesPerChunk)
        var chunks: [Chunk] = []
        var first: Int64 = 0
        while first + step < pages {
            chunks.append(Chunk(first: first, end: first + step))
            first += step
        }
        chunks.append(Chunk(first: first, end: nil))
        return chunks
    }

    /// The COPY of one range of a table's rows.
    static func copyStatement(_ table: Table, _ chunk: Chunk) -> String {
        var condition = "ctid >= '(\(chunk.first),0)'::pg_catalog.tid"
        if let end = chunk.end { condition += " AND ctid < '(\(end),0)'::pg_catalog.tid" }
        return "COPY (SELECT \(table.columns) FROM ONLY \(table.qualified) WHERE \(condition)) TO STDOUT"
    }

    /// The start of a table's data entry, as pg_dump writes it (names in the comment on one
    /// line, as pg_dump's `sanitize_line` leaves them).
    static func entryHeader(_ table: Table) -> String {
        func oneLine(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ") }
        return "--\n-- Data for Name: \(oneLine(table.name)); Type: TABLE DATA; Schema: \(oneLine(table.schema)); Owner: \(oneLine(table.owner))\n--\n\n"
            + "COPY \(table.qualified) (\(table.columns)) FROM stdin;\n"
    }

    /// The end of a data entry: the COPY's end marker and pg_dump's blank lines.
    static let entryEnd = "\\.\n\n\n"

    /// The `--exclude-table-data` pattern that matches exactly this table (quoted parts are
    /// taken literally by pg_dump's patterns, `""` standing for `"`).
    static func excludePattern(_ table: Table) -> String {
        func quoted(_ part: String) -> String { "\"" + part.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return quoted(table.schema) + "." + quoted(table.name)
    }

    /// A fresh `\restrict` key: 64 random letters and digits, as pg_dump makes its own.
    static func makeRestrictKey() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<64).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// The `client_encoding` pg_dump set in its preamble, which the copied rows must be in.
    static func clientEncoding(inPreamble preamble: [UInt8]) -> String? {
        let prefix = "SET client_encoding = '"
        for line in String(decoding: preamble, as: UTF8.self).split(separator: "\n") where line.hasPrefix(prefix) && line.hasSuffix("';") {
            let name = line.dropFirst(prefix.count).dropLast(2)
            if !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) { return String(name) }
        }
        return nil
    }

    // MARK: - Copying

    /// Opens up to `count` sessions on the backup's snapshot, with pg_dump's session settings.
    /// Past the first, a session the server refuses (`max_connections` reached) is done
    /// without: fewer sessions copy. The copies are bounded by `BACKUP_TIMEOUT` (`deadline`),
    /// not `STATEMENT_TIMEOUT`: like pg_dump's stream, they grow with the data.
    static func openSessions(_ count: Int, settings: ConnectionSettings, applicationName: String, snapshot: String, clientEncoding: String, deadline: (end: MonotonicClock, setting: String)?) throws(PostgresError) -> [PostgresConnection] {
        var sessions: [PostgresConnection] = []
        for _ in 0..<count {
            do {
                let session = try PostgresConnection(settings, applicationName: applicationName)
                session.operationDeadline = deadline
                try session.execute("""
                    SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0;
                    SET extra_float_digits = 3; SET DateStyle = ISO; SET IntervalStyle = postgres;
                    SET synchronize_seqscans = off; SET row_security = off; SET client_encoding = '\(clientEncoding)'
                    """)
                try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try session.execute("SET TRANSACTION SNAPSHOT '\(snapshot.replacingOccurrences(of: "'", with: "''"))'")
                session.statementTimeout = nil
                sessions.append(session)
            } catch {
                if sessions.isEmpty || error.kind != .connection { throw error }
                break
            }
        }
        return sessions
    }

    /// Writes `table`'s data entry to `sink`: its header, every row of the snapshot copied by
    /// all `sessions` at once (each taking the next range of pages), its end.
    static func copy(_ table: Table, limits: Limits, sessions: [PostgresConnection], into sink: DumpStreamSink) throws {
        try Array(entryHeader(table).utf8).withUnsafeBytes { try sink.write($0) }
        let work = ChunkCursor(chunks(pages: table.pages, pagesPerChunk: limits.pagesPerChunk))
        let group = DispatchGroup()
        for (index, session) in sessions.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    try copyChunks(of: table, from: work, over: session, into: sink)
                } catch {
                    work.fail(error)
                }
            }
            thread.name = "pra-copy-\(index)"
            thread.start()
        }
        group.wait()
        if let failure = work.failure { throw failure }
        try Array(entryEnd.utf8).withUnsafeBytes { try sink.write($0) }
    }

    /// One session's share: ranges of pages until none is left or another session failed.
    private static func copyChunks(of table: Table, from work: ChunkCursor, over session: PostgresConnection, into sink: DumpStreamSink) throws {
        let batch = RowBatch(capacity: 1 << 20)
        while let chunk = work.next() {
            try session.copyOut(copyStatement(table, chunk)) { row in
                if !batch.append(row) {
                    if work.failure != nil { throw ChunkCursor.Stopped() }
                    try batch.flush(into: sink)
                    if !batch.append(row) { try sink.write(row) }  // a row larger than the batch
                }
            }
        }
        try batch.flush(into: sink)
    }
}

/// The ranges of pages still to copy, shared by the copying threads; the first failure stops
/// them all.
final class ChunkCursor: @unchecked Sendable {
    struct Stopped: Error {}
    private let lock = NSLock()
    private var remaining: ArraySlice<SplitTableDump.Chunk>
    private var firstFailure: Error?

    init(_ chunks: [SplitTableDump.Chunk]) {
        remaining = chunks[...]
    }

    func next() -> SplitTableDump.Chunk? {
        lock.lock()
        defer { lock.unlock() }
        return firstFailure == nil ? remaining.popFirst() : nil
    }

    func fail(_ error: Error) {
        lock.lock()
        defer { lock.unlock() }
        if firstFailure == nil && !(error is Stopped) { firstFailure = error }
    }

    var failure: Error? {
        lock.lock()
        defer { lock.unlock() }
        return firstFailure
    }
}

/// Whole rows gathered before they go to the dump's sink together (one lock, one compressor
/// call per megabyte rather than per row). Owns its memory.
final class RowBatch {
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0

    init(capacity: Int) {
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// Appends `row` when it fits; `false` when it does not.
    func append(_ row: UnsafeRawBufferPointer) -> Bool {
        guard row.count <= buffer.count - used else { return false }
        if let source = row.baseAddress { (buffer.baseAddress! + used).copyMemory(from: source, byteCount: row.count) }
        used += row.count
        return true
    }

    func flush(into sink: DumpStreamSink) throws {
        guard used > 0 else { return }
        try sink.write(UnsafeRawBufferPointer(rebasing: buffer[..<used]))
        used = 0
    }
}
