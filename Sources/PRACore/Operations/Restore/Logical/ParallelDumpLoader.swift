import Foundation

/// Loads a plain pg_dump over several connections while it streams out of the verifier, the
/// way `pg_restore -j` loads a directory dump:
///
/// 1. the schema (everything before the first data entry) goes to one psql as it streams;
/// 2. each table's `COPY` data is written to a spill file of its own and, as soon as it is
///    complete, loaded by one of `jobs` workers (``LoadScheduler``; the stream never waits
///    for a table to load), in a transaction that first empties the new table so that the
///    server can skip WAL at `wal_level = minimal`, as `pg_restore -j` does;
/// 3. once the archive is read and verified: each index and primary-key/unique constraint as
///    soon as its table is loaded, then the foreign keys (over libpq connections, never two on
///    one table at once), then the other data entries (sequence values, large objects), then
///    everything else (triggers, grants, ...) in the dump's order on one connection.
///
/// The dump is split only at statement boundaries as psql would lex them (``DumpScanner``),
/// at pg_dump's entry headers (`-- Name: x; Type: T; ...`). Every script a worker runs
/// starts with the session settings the dump made before it (`SET ...`) and, when the dump
/// is restricted, pg_dump's `\restrict` key, so that no meta-command can run there either.
/// Memory stays bounded: table data goes through files, never memory; only the index and
/// constraint statements are kept in memory, up to a cap past which they run in order.
final class ParallelDumpLoader {
    /// Why a load failed: the first psql that failed, with its stderr summary.
    struct LoadFailure: Error, CustomStringConvertible {
        let description: String
    }

    private enum Phase { case schema, data, postData }

    private let psql: PsqlProgram
    private let dbnameArgument: String?
    private let jobs: Int
    private let spillDirectory: String
    private var scanner = DumpScanner()
    private var phase = Phase.schema
    /// Session settings (`SET x = ...;`, `set_config(...)`) in force, by setting, in order.
    private var settings: [(key: String, line: String)] = []
    /// The current line while it is not complete (outside COPY data only).
    private var line: [UInt8] = []
    /// Inside COPY data: the first bytes of the current data line (to spot `\.`).
    private var copyLineStart: [UInt8] = []

    private var schemaFeed: ChunkChannel?
    private var schemaWorker: PsqlWorker?
    private var scheduler: LoadScheduler?
    /// The data entry being spilled: its file, and once its COPY line is read, the COPY
    /// (the file then holds only the COPY's data, sent over libpq).
    private struct DataEntry {
        let file: FileHandle
        let path: String
        var copy: LoadScheduler.Copy?
        /// Bytes of COPY data written so far (the `\.` line included).
        var written = 0
        var complete = false
    }
    private var currentData: DataEntry?
    private var dataCount = 0
    /// Sequence values, large objects: run in order after the tables, indexes and foreign keys.
    private let miscPath: String
    private var misc: FileHandle?
    /// Everything after the data that is not an index, constraint or foreign key, in order.
    private let restPath: String
    private var rest: FileHandle?
    /// Index and PK/unique constraint entries, then foreign keys, run over libpq connections.
    private var indexScripts: [LoadScheduler.Script] = []
    private var foreignKeyScripts: [LoadScheduler.Script] = []
    private var parallelBytes = 0
    private var currentParallel: [UInt8]?
    private var currentIsForeignKey = false
    /// Partitioned indexes are attached in order after the indexes; foreign keys may need
    /// them, so they then stay in order too.
    private var sawIndexAttach = false
    private let connect: @Sendable () throws -> PostgresConnection
    static let parallelCap = 16 << 20

    /// - Parameter dbnameArgument: psql's `--dbname=...` (the staging database and the network
    ///   keywords); `nil`: the database of `environment`.
    init(psql: PsqlProgram, dbnameArgument: String? = nil, jobs: Int, spillDirectory: String, connect: @escaping @Sendable () throws -> PostgresConnection) {
        self.dbnameArgument = dbnameArgument
        self.connect = connect
        self.psql = psql
        self.jobs = jobs
        self.spillDirectory = spillDirectory
        miscPath = (spillDirectory as NSString).appendingPathComponent("data-other.sql")
        restPath = (spillDirectory as NSString).appendingPathComponent("post-data.sql")
    }

    deinit {
        abort()
    }

    /// Why a dump cannot be split safely (`nil`: it can): only pg_dump's plain format, whose
    /// first lines say so, is split.
    static func unsplittableReason(head: [UInt8]) -> String? {
        let text = String(decoding: head.prefix(200), as: UTF8.self)
        guard text.hasPrefix("--\n-- PostgreSQL database dump\n") else {
            return "the file does not start as a pg_dump plain-format dump does (\"-- PostgreSQL database dump\")"
        }
        return nil
    }

    /// psql's arguments; the connection string carries the network keywords (keepalives,
    /// tcp_user_timeout), which have no `PG*` variable, so a dead link fails a worker.
    private var psqlArguments: [String] {
        PsqlProgram.scriptArguments + (dbnameArgument.map { [$0] } ?? [])
    }

    // MARK: - streaming

    /// Takes the next piece of the inflated dump.
    func consume(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var index = 0
        let count = bytes.count
        while index < count {
            if scanner.inCopyData {
                index = try copyData(base, from: index, count: count)
                continue
            }
            if let newline = memchr(base + index, 0x0A, count - index) {
                let end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
                line.append(contentsOf: UnsafeBufferPointer(start: base + index, count: end - index))
                index = end
                try completeLine()
            } else {
                line.append(contentsOf: UnsafeBufferPointer(start: base + index, count: count - index))
                index = count
            }
        }
    }

    /// Copies COPY data to the current table's spill file up to the end of this piece or the
    /// `\.` line; returns where it stopped.
    private func copyData(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) throws -> Int {
        var index = start
        while index < count {
            if copyLineStart.count < 3 {
                var taken = index
                while copyLineStart.count < 3 && taken < count && base[taken] != 0x0A {
                    copyLineStart.append(base[taken])
                    taken += 1
                }
            }
            guard let found = memchr(base + index, 0x0A, count - index) else {
                try writeData(base + start, count: count - start)
                return count
            }
            let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            let lineStart = copyLineStart
            copyLineStart.removeAll(keepingCapacity: true)
            index = newline + 1
            if lineStart == [0x5C, 0x2E] || lineStart == [0x5C, 0x2E, 0x0D] {
                try writeData(base + start, count: index - start)
                if let data = currentData, var copy = data.copy {
                    // libpq ends the COPY itself: the `\.` line is not sent.
                    copy.length = data.written - (lineStart.count + 1)
                    currentData?.copy = copy
                    currentData?.complete = true
                }
                // The scanner leaves COPY data on the same line.
                try (lineStart + [0x0A]).withUnsafeBytes { try scanner.scan($0) }
                return index
            }
        }
        try writeData(base + start, count: index - start)
        return index
    }

    private func writeData(_ pointer: UnsafePointer<UInt8>, count: Int) throws {
        guard count > 0 else { return }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
        if currentData != nil {
            try currentData!.file.write(contentsOf: bytes)
            currentData!.written += count
        } else {
            try send(bytes)
        }
    }

    private func completeLine() throws {
        defer { line.removeAll(keepingCapacity: true) }
        let boundary = scanner.atStatementBoundary
        try line.withUnsafeBytes { try scanner.scan($0) }
        guard boundary else {
            try line.withUnsafeBytes { try send($0) }
            return
        }
        if let header = Self.entryType(line) {
            try beginEntry(type: header)
        } else if phase == .data, let data = currentData, data.copy == nil, Self.startsWith(line, "COPY "), let table = Self.copyTarget(line), scanner.inCopyData {
            // As pg_restore -j does: emptying the new table in the COPY's transaction lets the
            // server skip WAL for the load when wal_level is minimal. Only plain tables (a
            // partitioned root loaded with --load-via-partition-root cannot be truncated ONLY).
            let literal = "'" + table.replacingOccurrences(of: "'", with: "''") + "'"
            let truncate = "TRUNCATE TABLE ONLY " + table.replacingOccurrences(of: "'", with: "''")
            let setup = prologue + "BEGIN;\nDO $pra$ BEGIN IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = \(literal)::pg_catalog.regclass) = 'r' THEN EXECUTE '\(truncate)'; END IF; END $pra$;\n"
            var statement = String(decoding: line, as: UTF8.self)
            while statement.last == "\n" || statement.last == "\r" { statement.removeLast() }
            // The file keeps only the data from here (the lines before were the entry's comments).
            try data.file.truncate(atOffset: 0)
            try data.file.seek(toOffset: 0)
            currentData?.copy = LoadScheduler.Copy(table: table, setup: setup, statement: statement, length: 0)
            currentData?.written = 0
            return
        } else if Self.startsWith(line, "SET ") || Self.startsWith(line, "SELECT pg_catalog.set_config(") {
            recordSetting(String(decoding: line, as: UTF8.self))
            // The in-order script keeps every setting, even one met inside an index entry.
            if phase == .postData && currentParallel != nil { try line.withUnsafeBytes { try rest?.write(contentsOf: $0) } }
        }
        try line.withUnsafeBytes { try send($0) }
    }

    private func recordSetting(_ text: String) {
        let key = text.hasPrefix("SET ") ? String(text.dropFirst(4).prefix { $0 != " " && $0 != "=" }) : String(text.prefix(60))
        if let index = settings.firstIndex(where: { $0.key == key }) {
            settings[index].line = text
        } else {
            settings.append((key, text))
        }
    }

    /// What every script a worker runs starts with: the session settings. (pra's `\restrict`
    /// key comes once per psql, before them: ``PsqlProgram``.)
    private var prologue: String {
        settings.map(\.line).joined()
    }

    private static let dataTypes: Set<String> = ["TABLE DATA", "SEQUENCE SET", "BLOBS", "BLOB DATA", "LARGE OBJECT DATA"]
    private static let parallelTypes: Set<String> = ["INDEX", "CONSTRAINT"]

    /// The `Type:` of a pg_dump entry header line (`-- Name: x; Type: T; Schema: s; Owner: o`).
    static func entryType(_ line: [UInt8]) -> String? {
        guard startsWith(line, "-- Name: ") || startsWith(line, "-- Data for Name: ") else { return nil }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "; Type: ") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != ";" && $0 != "\n" })
    }

    /// The table an index or constraint entry is on (`CREATE [UNIQUE] INDEX i ON [ONLY] t USING`,
    /// `ALTER TABLE ONLY t ADD CONSTRAINT`), as COPY names it; `nil` when not read plainly.
    static func indexedTable(_ sql: String) -> String? {
        for line in sql.split(separator: "\n") {
            if line.hasPrefix("ALTER TABLE ONLY ") {
                let name = line.dropFirst("ALTER TABLE ONLY ".count)
                return name.isEmpty || name.contains(" ") || name.contains("\"") ? nil : String(name)
            }
            if line.hasPrefix("CREATE INDEX ") || line.hasPrefix("CREATE UNIQUE INDEX ") {
                guard let on = line.range(of: " ON ") else { return nil }
                var rest = line[on.upperBound...]
                if rest.hasPrefix("ONLY ") { rest = rest.dropFirst(5) }
                let name = rest.prefix { $0 != " " }
                return name.isEmpty || name.contains("\"") || line[..<on.lowerBound].contains("\"") ? nil : String(name)
            }
        }
        return nil
    }

    /// The two tables a foreign-key entry locks (`ALTER TABLE ONLY child ... REFERENCES
    /// parent(...)`), or `*` (run alone) when they cannot be read plainly.
    static func foreignKeyTables(_ sql: String) -> Set<String> {
        func name(after marker: String, until stop: Character) -> String? {
            guard let range = sql.range(of: marker) else { return nil }
            let name = sql[range.upperBound...].prefix { $0 != stop && $0 != "\n" && $0 != " " }
            return name.isEmpty || name.contains("\"") ? nil : String(name)
        }
        guard let child = name(after: "ALTER TABLE ONLY ", until: "\n"), let parent = name(after: " REFERENCES ", until: "(") else { return ["*"] }
        return [child, parent]
    }

    /// The table of a `COPY name (columns) FROM stdin;` line, as written (quotes kept).
    static func copyTarget(_ line: [UInt8]) -> String? {
        DumpScanner.copyTarget(line)?.written
    }

    static func startsWith(_ line: [UInt8], _ prefix: String) -> Bool {
        line.starts(with: prefix.utf8)
    }

    private func beginEntry(type: String) throws {
        try endEntry()
        switch phase {
        case .schema:
            if Self.dataTypes.contains(type) {
                try startData()
                phase = .data
            } else if Self.parallelTypes.contains(type) || type == "FK CONSTRAINT" || type == "TRIGGER" {
                try startData()
                phase = .postData
            }
        case .data:
            if !Self.dataTypes.contains(type) { phase = .postData }
        case .postData:
            break
        }
        switch phase {
        case .schema:
            break
        case .data:
            if type == "TABLE DATA" {
                dataCount += 1
                let path = (spillDirectory as NSString).appendingPathComponent("table-\(dataCount).sql")
                let file = try Self.create(path)
                try file.write(contentsOf: Data(prologue.utf8))
                currentData = DataEntry(file: file, path: path)
            }
        case .postData:
            if type == "INDEX ATTACH" { sawIndexAttach = true }
            let foreignKey = type == "FK CONSTRAINT" && !sawIndexAttach
            if (Self.parallelTypes.contains(type) || foreignKey) && parallelBytes < Self.parallelCap {
                currentParallel = Array(prologue.utf8)
                currentIsForeignKey = foreignKey
            }
        }
    }

    private func endEntry() throws {
        if let data = currentData {
            try data.file.close()
            currentData = nil
            // A COPY loads over libpq; anything else (INSERTs of a dump made with --inserts) with psql.
            scheduler?.addData(path: data.path, copy: data.complete ? data.copy : nil)
        }
        if let entry = currentParallel {
            parallelBytes += entry.count
            let sql = String(decoding: entry, as: UTF8.self)
            if currentIsForeignKey {
                foreignKeyScripts.append(.init(sql: sql, table: nil, locks: Self.foreignKeyTables(sql)))
            } else {
                indexScripts.append(.init(sql: sql, table: Self.indexedTable(sql), locks: []))
            }
            currentParallel = nil
        }
    }

    private static func create(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw FileError(operation: .open, path: path, code: errno)
        }
        return handle
    }

    /// The schema is complete: wait for its psql, then start the table workers.
    private func startData() throws {
        if let feed = schemaFeed {
            feed.close()
            schemaFeed = nil
            if let failure = schemaWorker?.wait() { throw LoadFailure(description: failure) }
            schemaWorker = nil
        }
        misc = try Self.create(miscPath)
        try misc?.write(contentsOf: Data(prologue.utf8))
        rest = try Self.create(restPath)
        try rest?.write(contentsOf: Data(prologue.utf8))
        scheduler = LoadScheduler(jobs: jobs, psql: psql, arguments: psqlArguments, connect: connect)
    }

    /// Sends bytes that are not table data where the current phase and entry say.
    private func send(_ bytes: UnsafeRawBufferPointer) throws {
        switch phase {
        case .schema:
            if schemaFeed == nil {
                let feed = ChunkChannel(depth: 8)
                schemaFeed = feed
                schemaWorker = PsqlWorker(process: psql.process(arguments: psqlArguments + ["--single-transaction"]), feed: feed)
                _ = feed.put(Data(psql.restriction.preamble.utf8))
            }
            if !schemaFeed!.put(Data(bytes)) {
                throw LoadFailure(description: schemaWorker?.wait() ?? "psql stopped reading the schema")
            }
        case .data:
            if let currentData, currentData.copy == nil {
                try currentData.file.write(contentsOf: bytes)
            } else {
                // After a COPY's data (blank lines), or outside table data.
                try misc?.write(contentsOf: bytes)
            }
        case .postData:
            if currentParallel != nil {
                currentParallel!.append(contentsOf: bytes)
            } else {
                try rest?.write(contentsOf: bytes)
            }
        }
    }

    // MARK: - completion

    /// The archive was read to its end and verified: finish loading. Throws the first failure.
    func finish() throws {
        if !line.isEmpty {
            try line.withUnsafeBytes { try send($0) }
            line.removeAll()
        }
        try endEntry()
        if let feed = schemaFeed {
            // A dump with no data and no post-data entries: the schema psql did it all.
            feed.close()
            schemaFeed = nil
            if let failure = schemaWorker?.wait() { throw LoadFailure(description: failure) }
            schemaWorker = nil
            return
        }
        guard let scheduler else { return }
        self.scheduler = nil
        scheduler.addScripts(indexes: indexScripts, foreignKeys: foreignKeyScripts)
        if let failure = scheduler.finish() { throw LoadFailure(description: failure) }
        try misc?.close()
        misc = nil
        try rest?.close()
        rest = nil
        if let failure = psql.runScript(miscPath, arguments: psqlArguments) { throw LoadFailure(description: failure) }
        indexScripts = []
        foreignKeyScripts = []
        if let failure = psql.runScript(restPath, arguments: psqlArguments) { throw LoadFailure(description: failure) }
    }

    /// Stops every psql (the archive did not verify, or the restore gave up).
    func abort() {
        schemaFeed?.cancel()
        schemaFeed = nil
        _ = schemaWorker?.wait()
        schemaWorker = nil
        scheduler?.abort()
        scheduler = nil
        try? currentData?.file.close()
        currentData = nil
        try? misc?.close()
        misc = nil
        try? rest?.close()
        rest = nil
    }
}
