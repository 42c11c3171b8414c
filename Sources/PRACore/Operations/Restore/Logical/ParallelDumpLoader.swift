import Foundation

/// Loads a plain pg_dump over several connections while it streams out of the verifier, the
/// way `pg_restore -j` loads a directory dump:
///
/// 1. the schema (everything before the first data entry) goes to one psql as it streams;
/// 2. each table's `COPY` data is cut at data-line boundaries into chunks
///    (``CopyDataSplitter``), each written to a spill file and, as soon as it is complete,
///    loaded by any free one of `jobs` workers with a `COPY` of its own (``LoadScheduler``):
///    several connections load one large table at once. The spill files on disk never pass
///    `RESTORE_SPILL_LIMIT` (``SpillBudget``): the stream waits for a load to finish instead.
///    A table whose data fits in one chunk is loaded in a transaction that first empties the
///    new table so that the server can skip WAL at `wal_level = minimal`, as `pg_restore -j`
///    does; a table of several chunks is not (the TRUNCATE's ACCESS EXCLUSIVE lock would
///    make its chunks load one after the other);
/// 3. once the archive is read and verified: each index and primary-key/unique constraint as
///    soon as its table is loaded, then the foreign keys (over libpq connections, never two on
///    one table at once), then the other data entries (sequence values, large objects), then
///    everything else (triggers, grants, ...) in the dump's order on one connection.
///
/// The dump is split only at statement boundaries as psql would lex them (``DumpScanner``),
/// at pg_dump's entry headers (`-- Name: x; Type: T; ...`). Every script a worker runs
/// starts with the session settings the dump made before it (`SET ...`) and, when the dump
/// is restricted, pg_dump's `\restrict` key, so that no meta-command can run there either.
/// Memory stays bounded: table data goes through files, never memory (a row, however long, is
/// copied piece by piece); only the index and constraint statements are kept in memory, up to
/// a cap past which they run in order.
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
    /// Inside COPY data: cuts it into chunks and finds its end.
    private var splitter: CopyDataSplitter
    /// The spill files on disk, against `RESTORE_SPILL_LIMIT`.
    let budget: SpillBudget
    /// The most chunks of one table that loaded at once (known after ``finish()``).
    private(set) var peakConnectionsPerTable = 0

    private var schemaFeed: ChunkChannel?
    private var schemaWorker: PsqlWorker?
    private var scheduler: LoadScheduler?
    /// The data entry being spilled: its current file, and once its COPY line is read, the
    /// COPY (the files then hold only the COPY's data, sent over libpq, one chunk each).
    private struct DataEntry {
        var file: FileHandle
        var path: String
        /// The entry's number, in the spill files' names.
        let number: Int
        var copy: LoadScheduler.Copy?
        /// The setup of a chunk when the table has several: the transaction only.
        var chunkSetup = ""
        /// Bytes written to the current file (the `\.` line included once read).
        var written = 0
        /// Chunks handed to the workers so far.
        var chunks = 0
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
    /// - Parameter spillLimit: the most bytes of spill files on disk at once (`RESTORE_SPILL_LIMIT`).
    init(psql: PsqlProgram, dbnameArgument: String? = nil, jobs: Int, spillDirectory: String, spillLimit: Int, connect: @escaping @Sendable () throws -> PostgresConnection) {
        budget = SpillBudget(limit: spillLimit)
        splitter = CopyDataSplitter(chunkSize: budget.chunkSize)
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

    /// Copies COPY data to the current table's spill files up to the end of this piece or the
    /// `\.` line, handing each complete chunk to the workers; returns where it stopped.
    private func copyData(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) throws -> Int {
        var marker: [UInt8]?
        let stop = try splitter.take(base, from: start, count: count) { event in
            switch event {
            case .data(let bytes): try writeData(bytes)
            case .cut: try cutChunk()
            case .end(let line):
                marker = line
                endCopy(markerLength: line.count)
            }
        }
        // The scanner leaves COPY data on the same line.
        if let marker { try marker.withUnsafeBytes { try scanner.scan($0) } }
        return stop
    }

    private func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        if currentData != nil {
            try spill(bytes)
        } else {
            try send(bytes)
        }
    }

    /// Writes to the current data entry's file, within the spill limit.
    private func spill(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try budget.reserve(bytes.count, held: currentData!.written)
        } catch {
            throw LoadFailure(description: scheduler?.currentFailure ?? "the load stopped")
        }
        try currentData!.file.write(contentsOf: bytes)
        currentData!.written += bytes.count
    }

    /// The current chunk is complete: the workers may load it; the data goes on in a new file.
    private func cutChunk() throws {
        guard var data = currentData, var copy = data.copy else { return }
        try data.file.close()
        copy.setup = data.chunkSetup
        copy.length = data.written
        scheduler?.addData(path: data.path, bytes: data.written, copy: copy)
        data.chunks += 1
        data.path = spillPath(data.number, chunk: data.chunks)
        data.file = try Self.create(data.path)
        data.written = 0
        currentData = data
    }

    /// The `\.` line was read (and written: it is not sent, libpq ends the COPY itself).
    private func endCopy(markerLength: Int) {
        guard let data = currentData, var copy = data.copy else { return }
        copy.length = data.written - markerLength
        // Only a table loaded in one piece empties itself first (see the type's comment).
        if data.chunks > 0 { copy.setup = data.chunkSetup }
        currentData?.copy = copy
        currentData?.complete = true
    }

    private func spillPath(_ number: Int, chunk: Int) -> String {
        (spillDirectory as NSString).appendingPathComponent("table-\(number)-\(chunk).sql")
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
            budget.release(data.written)
            currentData?.copy = LoadScheduler.Copy(table: table, setup: setup, statement: statement, length: 0)
            currentData?.chunkSetup = prologue + "BEGIN;\n"
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
                let path = spillPath(dataCount, chunk: 0)
                currentData = DataEntry(file: try Self.create(path), path: path, number: dataCount)
                try Array(prologue.utf8).withUnsafeBytes { try spill($0) }
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
            if data.complete && data.chunks > 0 && data.copy?.length == 0 {
                // The last cut fell just before the `\.` line: nothing left to load.
                unlink(data.path)
                budget.release(data.written)
            } else {
                // A COPY loads over libpq; anything else (INSERTs of a dump made with --inserts) with psql.
                scheduler?.addData(path: data.path, bytes: data.written, copy: data.complete ? data.copy : nil)
            }
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
        scheduler = LoadScheduler(jobs: jobs, psql: psql, arguments: psqlArguments, budget: budget, connect: connect)
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
                try spill(bytes)
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
        let failure = scheduler.finish()
        peakConnectionsPerTable = scheduler.peakConnectionsPerTable
        if let failure { throw LoadFailure(description: failure) }
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
