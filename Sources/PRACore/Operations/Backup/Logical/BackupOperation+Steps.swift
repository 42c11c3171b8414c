import Crypto
import Foundation

/// The steps of ``BackupOperation/run()``, in the order it calls them.
extension BackupOperation {
    /// The settings a full backup reads, checked once: those it shares with a base backup
    /// (``ArchiveSettings``, read through as `settings.jobs`, ...) and its retention.
    @dynamicMemberLookup
    struct BackupSettings {
        var shared: ArchiveSettings
        var retention: RetentionPolicy
        /// `BACKUP_COMPRESSION`, and the level it compresses at (gzip's `BACKUP_COMPRESSION_LEVEL`).
        var codec: CompressionCodec
        var codecLevel: Int

        /// The off-site copy, when `REMOTE_TARGET` is set.
        var remote: RemoteCopyOperation?

        subscript<Value>(dynamicMember keyPath: KeyPath<ArchiveSettings, Value>) -> Value { shared[keyPath: keyPath] }

        init(_ configuration: Configuration) throws(OperationFailure) {
            do {
                shared = try ArchiveSettings(configuration: configuration)
                retention = try .fullBackups(configuration)
                codec = try configuration.codec(.backupCompression)
                codecLevel = try configuration.compressionLevel(for: codec)
                remote = try RemoteCopyOperation(configuration: configuration)
            } catch {
                throw OperationFailure(stage: "configuration", error)
            }
        }
    }

    /// The session whose exported snapshot pg_dump and the row counts share.
    struct SnapshotSession {
        var connection: PostgresConnection
        var database: String
        var serverVersion: String
        var serverMajor: Int
        var snapshot: String
        /// The tables' size (heap and TOAST, no indexes: the dump holds none), for a percentage
        /// and an ETA; an estimate, so the percentage stops at 100 %. Only with progress shown.
        var estimatedBytes: UInt64?
    }

    /// The pg_dump that runs, and its version for the manifest.
    struct DumpProgram {
        var path: String
        var version: String
    }

    /// What the dump stream produced.
    struct DumpProduct {
        var sha256: String
        var uncompressedBytes: UInt64
        /// The first bytes of the dump, which hold pg_dump's `\restrict` line.
        var head: [UInt8]
        /// The tables whose rows pra copied (``SplitTableDump``), and over how many sessions.
        var parallelCopies: [String] = []
        var copySessions = 0
    }

    /// Connects, opens a read-only repeatable-read transaction and exports its snapshot.
    func openSnapshot(_ settings: BackupSettings, started: MonotonicClock) throws(OperationFailure) -> SnapshotSession {
        do {
            let connection = try PostgresConnection(settings.connection, applicationName: Self.applicationName)
            // BACKUP_TIMEOUT bounds the whole backup: its own queries too, not only pg_dump.
            if settings.timeout > 0 { connection.operationDeadline = (started.adding(settings.timeout), "BACKUP_TIMEOUT \(DurationParser.format(settings.timeout))") }
            let serverVersion = try connection.scalar("SHOW server_version") ?? "?"
            try connection.execute("SET idle_in_transaction_session_timeout = 0")
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let snapshot = try connection.scalar("SELECT pg_export_snapshot()") ?? ""
            let estimate = progress == nil ? nil : (try? connection.scalar("""
                SELECT sum(pg_table_size(c.oid))::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
                """)).flatMap { $0 }.flatMap { UInt64($0) }
            return SnapshotSession(connection: connection, database: connection.databaseName, serverVersion: serverVersion,
                                   serverMajor: connection.serverVersionNumber / 10000, snapshot: snapshot, estimatedBytes: estimate)
        } catch {
            throw OperationFailure(stage: "connect", error)
        }
    }

    /// A pg_dump at least as new as the server.
    func locatePgDump(for session: SnapshotSession) throws(OperationFailure) -> DumpProgram {
        do {
            let path = try PostgresBinaries(configuration: configuration).locate("pg_dump", preferredMajor: session.serverMajor)
            let version = try PostgresBinaries.majorVersion(of: path)
            guard version.major >= session.serverMajor else {
                throw OperationFailure(stage: "pg_dump", message: "\(path) is version \(version.major), older than the server (\(session.serverVersion)); install postgresql-client-\(session.serverMajor) or set PG_BIN_DIR", isUsageError: true)
            }
            return DumpProgram(path: path, version: version.text)
        } catch {
            throw OperationFailure(stage: "pg_dump", error)
        }
    }

    /// The tables and their partitions and children, in the dump's snapshot: the rows are
    /// counted from the dump's COPY data as it streams (no second scan of every table).
    func catalogueTables(_ session: SnapshotSession) throws(OperationFailure) -> [DumpRowTally.Member] {
        do {
            return try DumpRowTally.catalogue(session.connection)
        } catch {
            throw OperationFailure(stage: "count rows", error)
        }
    }

    func openArchive(_ path: String) throws(OperationFailure) -> DurableFile {
        do {
            return try DurableFile(finalPath: path)
        } catch {
            throw OperationFailure(stage: "write", error)
        }
    }

    /// Streams the plain dump through the row tally and the archive's compressor
    /// (`BACKUP_COMPRESSION` on `PRA_JOBS` threads; gzip's is still one standard gzip member)
    /// into `file`, hashing what is written; checks pg_dump's completion trailer. The largest
    /// tables' rows are copied over `PRA_JOBS` sessions at once when that is possible
    /// (``SplitTableDump``), the rest by pg_dump. On failure the file is discarded.
    func dump(_ session: SnapshotSession, with pgDump: DumpProgram, settings: BackupSettings, tally: DumpRowTally, into file: DurableFile) throws(OperationFailure) -> DumpProduct {
        let sink: DumpStreamSink
        do {
            let compressor = try settings.codec.archiveCompressor(level: settings.codecLevel, jobs: settings.jobs)
            sink = DumpStreamSink(compressor: compressor, file: file, tally: tally, progress: progress, estimatedBytes: session.estimatedBytes)
        } catch {
            file.discard()
            throw OperationFailure(stage: "compress", error)
        }
        do {
            let split = try tablesToSplit(session, pgDump: pgDump, settings: settings)
            var copySessions = 0
            if split.isEmpty {
                try runPgDump(pgDump, session, settings, extraArguments: [], into: sink.write)
            } else {
                copySessions = try dumpSplit(split, session, pgDump: pgDump, settings: settings, into: sink)
            }
            progress?.announce("backup: dump complete; writing the manifest")
            guard sink.tailText.contains(ArchiveVerifier.dumpTrailer) else {
                throw OperationFailure(stage: "dump", message: "pg_dump exited 0 but its output lacks the completion trailer; the dump is incomplete")
            }
            let (sha256, uncompressedBytes) = try sink.finish()
            return DumpProduct(sha256: sha256, uncompressedBytes: uncompressedBytes, head: sink.head, parallelCopies: split.map(\.qualified), copySessions: copySessions)
        } catch {
            progress?.finish()
            file.discard()
            let writing = error is FileError || (error as? ConsumerFailure)?.underlying is FileError
            throw OperationFailure(stage: writing ? "write" : "dump", error)
        }
    }

    /// How long pg_dump, and pra's lock on the tables it copies, wait for a table lock.
    static let lockWaitMilliseconds = 300_000

    /// The tables whose rows pra copies itself (none when the backup cannot be split), locked
    /// in the snapshot's session as pg_dump locks what it dumps, so that none is truncated or
    /// dropped between pg_dump's runs.
    func tablesToSplit(_ session: SnapshotSession, pgDump: DumpProgram, settings: BackupSettings) throws -> [SplitTableDump.Table] {
        guard SplitTableDump.isAvailable(jobs: settings.jobs, serverMajor: session.serverMajor, pgDumpVersion: pgDump.version) else { return [] }
        let tables = try SplitTableDump.tables(session.connection, limits: splitLimits)
        if !tables.isEmpty {
            try session.connection.execute("SET lock_timeout = \(Self.lockWaitMilliseconds)")
            try session.connection.execute("LOCK TABLE " + tables.map(\.qualified).joined(separator: ", ") + " IN ACCESS SHARE MODE")
        }
        return tables
    }

    /// pg_dump (sections pre-data and data, without the split tables' rows), each split
    /// table's rows over `PRA_JOBS` sessions on the snapshot, pg_dump (section post-data),
    /// joined into one plain dump (``DumpSegmentJoin``); returns how many sessions copied.
    func dumpSplit(_ tables: [SplitTableDump.Table], _ session: SnapshotSession, pgDump: DumpProgram, settings: BackupSettings, into sink: DumpStreamSink) throws -> Int {
        let key = SplitTableDump.makeRestrictKey()
        var trailerCut = DumpSegmentJoin.TrailerCut(key: key)
        try runPgDump(pgDump, session, settings, extraArguments: ["--section=pre-data", "--section=data", "--restrict-key=\(key)"] + tables.map { "--exclude-table-data=" + SplitTableDump.excludePattern($0) }) { chunk in
            try trailerCut.pass(chunk, to: sink.write)
        }
        try trailerCut.finish()
        guard let preamble = DumpSegmentJoin.preamble(in: sink.head), let encoding = SplitTableDump.clientEncoding(inPreamble: preamble) else {
            throw DumpSegmentJoin.Mismatch(description: "pg_dump's preamble (its settings before the first entry) was not found in the first \(DumpStreamSink.headCapacity) bytes of its output")
        }
        let sessions = try SplitTableDump.openSessions(settings.jobs, settings: settings.connection, applicationName: Self.applicationName, snapshot: session.snapshot, clientEncoding: encoding, deadline: session.connection.operationDeadline)
        for table in tables {
            progress?.announce("backup: copying the rows of \(table.qualified) (\(table.pages) pages) over \(sessions.count) connections")
            try SplitTableDump.copy(table, limits: splitLimits, sessions: sessions, into: sink)
        }
        var preambleCut = DumpSegmentJoin.PreambleCut(expected: preamble, key: key)
        try runPgDump(pgDump, session, settings, extraArguments: ["--section=post-data", "--restrict-key=\(key)"]) { chunk in
            try preambleCut.pass(chunk, to: sink.write)
        }
        try preambleCut.finish()
        return sessions.count
    }

    /// Runs pg_dump on the snapshot, handing its output to `consume`; throws unless it succeeded.
    func runPgDump(_ pgDump: DumpProgram, _ session: SnapshotSession, _ settings: BackupSettings, extraArguments: [String], into consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        let process = ExternalProcess(
            executable: pgDump.path,
            // The name as a quoted connection string: never read as an option (`-f...`) nor
            // expanded from a connection string it contains (`dbname=prod`).
            arguments: ["--format=plain", "--snapshot=\(session.snapshot)", "--no-password", "--lock-wait-timeout=\(Self.lockWaitMilliseconds)"] + extraArguments
                + ["--dbname=" + Self.connectionString(database: session.database) + settings.connection.childNetworkKeywords],
            environment: settings.connection.childEnvironment(applicationName: Self.applicationName),
            // What is left of BACKUP_TIMEOUT: a split backup runs pg_dump twice within it.
            timeout: session.connection.operationDeadline.map { max(0.001, $0.end.remaining()) } ?? settings.timeout)
        let outcome = try process.run(streamingTo: consume)
        try process.check(outcome)
    }

    /// The row count of every table, from the dump's COPY data (count(*) in the snapshot where
    /// the dump holds none), then ends the snapshot's transaction.
    func countRows(_ tally: DumpRowTally, members: [DumpRowTally.Member], session: SnapshotSession, discarding file: DurableFile) throws(OperationFailure) -> [BackupManifest.TableRows] {
        do {
            let tables = try tally.tables(members, connection: session.connection)
            try session.connection.execute("COMMIT")
            return tables
        } catch {
            file.discard()
            throw OperationFailure(stage: "count rows", error)
        }
    }

    /// Renames the archive into place and writes its manifest beside it; returns the manifest's path.
    ///
    /// From the rename until the manifest is in place, an interrupt must not leave an archive
    /// without its manifest behind: remove it then, unless the manifest made it complete. The
    /// interrupt cleanup runs on another thread while this one goes on: it takes `commitLock`
    /// and keeps it until the process exits, so the rename and the manifest are either done in
    /// full before it looks, or never started (no half backup, no partial).
    func commit(_ file: DurableFile, archivePath: String, manifest: BackupManifest) throws(OperationFailure) -> String {
        let manifestPath = archivePath + BackupArchiveName.manifestSuffix
        let commitLock = NSLock()
        let incompleteToken = InterruptCleanup.shared.register {
            commitLock.lock()  // never released: the process exits after its cleanups
            if !FileManager.default.fileExists(atPath: manifestPath) { unlink(archivePath) }
        }
        defer { InterruptCleanup.shared.unregister(incompleteToken) }
        commitLock.lock()
        defer { commitLock.unlock() }
        do {
            try file.commit()
        } catch {
            file.discard()
            throw OperationFailure(stage: "write", error)
        }
        do {
            try DurableFile.write(manifest.encoded(), to: manifestPath)
        } catch {
            // Without its manifest the archive is not a backup: remove it rather than leave a look-alike.
            unlink(archivePath)
            throw OperationFailure(stage: "manifest", error)
        }
        return manifestPath
    }
}
