import Foundation

/// The workers of a parallel restore, after the schema: `jobs` threads, each with its own
/// connection, taking the next thing that may run, as `pg_restore -j` schedules:
///
/// 1. a chunk of a table's data (a spill file, loaded with a `COPY` of its own, or by one psql
///    for a dump made with `--inserts`, and deleted), as soon as it is complete: the chunks of
///    one table load on as many connections as are free;
/// 2. once the archive has verified and the scripts are known: an index or primary-key/unique
///    constraint as soon as all its table's chunks are loaded (while other tables still load);
/// 3. once every table and index is done: the foreign keys, never two at once on a table (two
///    taking the same two tables in opposite orders would deadlock; `*` runs alone).
///
/// The first failure stops the rest.
final class LoadScheduler: @unchecked Sendable {
    /// One SQL script (run over libpq), the table it needs loaded and the tables it locks.
    struct Script: Sendable {
        let sql: String
        /// The table whose data must be loaded first; `nil`: all of them.
        let table: String?
        let locks: Set<String>
    }

    /// A table's COPY: sent over libpq, in a transaction that `setup` opens.
    struct Copy: Sendable {
        let table: String
        /// Session settings, `BEGIN`, and for a table loaded in one chunk the table emptied
        /// (see ``ParallelDumpLoader``).
        var setup: String
        /// The `COPY ... FROM stdin` statement.
        let statement: String
        /// Bytes of COPY data in the spill file (the `\.` line excluded).
        var length: Int
    }

    private struct DataJob {
        let path: String
        /// The file's size, released from the spill budget once it is deleted.
        let bytes: Int
        /// `nil`: the file is an SQL script for psql.
        let copy: Copy?
        var table: String? { copy?.table }
    }

    private enum Work {
        case data(DataJob)
        case index(Script)
        case foreignKey(Script)
    }

    private let condition = NSCondition()
    private var data: [DataJob] = []
    private var loading: [String: Int] = [:]
    private var loadingCount = 0
    private var peakPerTable = 0
    private var indexes: [Script] = []
    private var indexesRunning = 0
    private var foreignKeys: [Script] = []
    private var held: [String: Int] = [:]
    private var foreignKeysRunning = 0
    private var exclusive = false
    private var scriptsKnown = false
    private var stopped = false
    private var failure: String?
    private let group = DispatchGroup()
    private let psql: PsqlProgram
    private let arguments: [String]
    private let budget: SpillBudget

    /// Starts `jobs` workers. Every psql starts with pra's `\restrict` line (``PsqlProgram``).
    /// - Parameter budget: the spill files' bytes are released there once deleted.
    init(jobs: Int, psql: PsqlProgram, arguments: [String], budget: SpillBudget, connect: @escaping @Sendable () throws -> PostgresConnection) {
        self.psql = psql
        self.budget = budget
        self.arguments = arguments
        for _ in 0..<max(1, jobs) {
            group.enter()
            let thread = Thread { [self] in
                work(connect)
                group.leave()
            }
            thread.name = "pra-restore-load"
            thread.start()
        }
    }

    /// A chunk of a table's data is complete in `path` (`bytes` long): COPY data, or a script
    /// when `copy` is `nil`.
    func addData(path: String, bytes: Int, copy: Copy?) {
        condition.lock()
        data.append(DataJob(path: path, bytes: bytes, copy: copy))
        condition.broadcast()
        condition.unlock()
    }

    /// No more data; the post-data scripts (after the archive verified).
    func addScripts(indexes: [Script], foreignKeys: [Script]) {
        condition.lock()
        self.indexes = indexes
        self.foreignKeys = foreignKeys
        scriptsKnown = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until everything ran (call after ``addScripts(indexes:foreignKeys:)``); the first failure.
    func finish() -> String? {
        group.wait()
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Stops the workers (a running psql is killed) and waits for them.
    func abort() {
        condition.lock()
        stopped = true
        for job in data {
            unlink(job.path)
            budget.release(job.bytes)
        }
        data.removeAll()
        condition.broadcast()
        condition.unlock()
        budget.cancel()
        group.wait()
    }

    /// The first failure so far, if any.
    var currentFailure: String? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// The most chunks of one table that were loading at the same time.
    var peakConnectionsPerTable: Int {
        condition.lock()
        defer { condition.unlock() }
        return peakPerTable
    }

    private var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped || failure != nil
    }

    private func ready(_ script: Script) -> Bool {
        guard let table = script.table else { return data.isEmpty && loadingCount == 0 }
        return loading[table, default: 0] == 0 && !data.contains { $0.table == table }
    }

    private func conflicts(_ script: Script) -> Bool {
        if exclusive { return true }
        if script.locks.contains("*") { return foreignKeysRunning > 0 }
        return script.locks.contains { held[$0, default: 0] > 0 }
    }

    /// The next work that may run, waiting for it; `nil` when all is done or stopped.
    private func next() -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && failure == nil {
            if !data.isEmpty {
                let job = data.removeFirst()
                loadingCount += 1
                if let table = job.table {
                    loading[table, default: 0] += 1
                    peakPerTable = max(peakPerTable, loading[table]!)
                }
                return .data(job)
            }
            if scriptsKnown {
                if let index = indexes.firstIndex(where: ready) {
                    indexesRunning += 1
                    return .index(indexes.remove(at: index))
                }
                if loadingCount == 0 && indexes.isEmpty && indexesRunning == 0 {
                    if let index = foreignKeys.firstIndex(where: { !conflicts($0) }) {
                        let script = foreignKeys.remove(at: index)
                        foreignKeysRunning += 1
                        if script.locks.contains("*") { exclusive = true }
                        for key in script.locks { held[key, default: 0] += 1 }
                        return .foreignKey(script)
                    }
                    if foreignKeys.isEmpty && foreignKeysRunning == 0 { return nil }
                }
            }
            condition.wait()
        }
        return nil
    }

    private func done(_ work: Work, error: String?) {
        condition.lock()
        switch work {
        case .data(let job):
            loadingCount -= 1
            if let table = job.table { loading[table, default: 0] -= 1 }
        case .index:
            indexesRunning -= 1
        case .foreignKey(let script):
            foreignKeysRunning -= 1
            if script.locks.contains("*") { exclusive = false }
            for key in script.locks { held[key, default: 0] -= 1 }
        }
        if let error, failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
        // A reader waiting for spill space must not wait for loads that will not come.
        if error != nil { budget.cancel() }
    }

    private func work(_ connect: () throws -> PostgresConnection) {
        var connection: PostgresConnection?
        while let work = next() {
            var failure: String?
            switch work {
            case .data(let job):
                if let copy = job.copy {
                    do {
                        if connection == nil { connection = try connect() }
                        failure = try connection.map { try copyIn(job, copy, $0) } ?? nil
                    } catch {
                        failure = "\(error)"
                    }
                } else {
                    failure = load(job)
                }
            case .index(let script), .foreignKey(let script):
                do {
                    if connection == nil { connection = try connect() }
                    try connection?.execute(script.sql)
                } catch {
                    // The statement's first line says which object failed.
                    let first = script.sql.split(separator: "\n").first { !$0.hasPrefix("SET ") && !$0.hasPrefix("SELECT pg_catalog.set_config") && !$0.hasPrefix("--") && !$0.isEmpty } ?? ""
                    failure = "\(error) (\(first.prefix(120)))"
                }
            }
            done(work, error: failure)
        }
    }

    /// Loads one chunk of COPY data over `connection` in one transaction, then deletes the
    /// file; the failure, or `nil` (also when stopped: the COPY is then aborted).
    private func copyIn(_ job: DataJob, _ copy: Copy, _ connection: PostgresConnection) throws -> String? {
        let path = job.path
        defer {
            unlink(path)
            budget.release(job.bytes)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(operation: .open, path: path, code: errno) }
        defer { try? handle.close() }
        do {
            try connection.execute(copy.setup)
            try connection.copyIn(copy.statement) { send in
                var remaining = copy.length
                while remaining > 0 {
                    if isStopped { throw ChunkChannel.Cancelled() }
                    guard let chunk = try handle.read(upToCount: min(remaining, 1 << 20)), !chunk.isEmpty else {
                        throw FileError(operation: .read, path: path, code: EIO, bytes: UInt64(copy.length - remaining))
                    }
                    try chunk.withUnsafeBytes { try send($0) }
                    remaining -= chunk.count
                }
            }
            try connection.execute("COMMIT")
            return nil
        } catch is ChunkChannel.Cancelled {
            _ = try? connection.execute("ROLLBACK")
            return nil
        } catch {
            _ = try? connection.execute("ROLLBACK")
            return "\(error) (COPY \(copy.table))"
        }
    }

    /// Loads one spill file with its own psql, then deletes it; the failure, or `nil`.
    /// Stopped (another worker failed, or the archive did not verify): psql is killed before it
    /// sees the end of its input, which is no failure of its own.
    private func load(_ job: DataJob) -> String? {
        defer {
            unlink(job.path)
            budget.release(job.bytes)
        }
        return psql.runScript(job.path, arguments: arguments, stopWhen: { self.isStopped })
    }
}
