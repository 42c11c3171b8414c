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
    }

    static let headCapacity = 8192

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

    /// Streams pg_dump through the row tally and the archive's compressor (`BACKUP_COMPRESSION`
    /// on `PRA_JOBS` threads; gzip's is still one standard gzip member) into `file`, hashing
    /// what is written; checks pg_dump's completion trailer. On failure the file is discarded.
    func dump(_ session: SnapshotSession, with pgDump: DumpProgram, settings: BackupSettings, tally: DumpRowTally, into file: DurableFile) throws(OperationFailure) -> DumpProduct {
        let deflater: any StreamCompressor
        do {
            deflater = try settings.codec.archiveCompressor(level: settings.codecLevel, jobs: settings.jobs)
        } catch {
            file.discard()
            throw OperationFailure(stage: "compress", error)
        }
        let dump = ExternalProcess(
            executable: pgDump.path,
            // The name as a quoted connection string: never read as an option (`-f...`) nor
            // expanded from a connection string it contains (`dbname=prod`).
            arguments: ["--format=plain", "--snapshot=\(session.snapshot)", "--no-password", "--lock-wait-timeout=300000", "--dbname=" + Self.connectionString(database: session.database) + settings.connection.childNetworkKeywords],
            environment: settings.connection.childEnvironment(applicationName: Self.applicationName),
            timeout: settings.timeout)
        var hasher = SHA256()
        var tail = TailBuffer(capacity: 512)
        var head: [UInt8] = []
        head.reserveCapacity(Self.headCapacity)
        let progress = self.progress
        let writeCompressed: (UnsafeRawBufferPointer) throws -> Void = { chunk in
            hasher.update(bufferPointer: chunk)
            try file.write(chunk)
        }
        do {
            let outcome = try dump.run { chunk in
                if head.count < Self.headCapacity { head.append(contentsOf: chunk.prefix(Self.headCapacity - head.count)) }
                tail.append(chunk)
                tally.consume(chunk)
                try deflater.compress(chunk, sink: writeCompressed)
                progress?.update(phase: "backup", bytes: deflater.bytesIn, total: session.estimatedBytes)
            }
            progress?.announce("backup: dump complete; writing the manifest")
            try dump.check(outcome)
            guard tail.text.contains(ArchiveVerifier.dumpTrailer) else {
                throw OperationFailure(stage: "dump", message: "pg_dump exited 0 but its output lacks the completion trailer; the dump is incomplete")
            }
            try deflater.finish(sink: writeCompressed)
        } catch {
            progress?.finish()
            file.discard()
            throw OperationFailure(stage: (error as? ConsumerFailure)?.underlying is FileError ? "write" : "dump", error)
        }
        return DumpProduct(sha256: hasher.finalize().hex, uncompressedBytes: deflater.bytesIn, head: head)
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
