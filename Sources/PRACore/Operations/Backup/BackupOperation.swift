import Crypto
import Foundation

/// `pra backup --full`: pg_dump (plain SQL) streamed through zlib into a durable archive,
/// row counts from the dump's own COPY data (its snapshot), then the manifest, then retention.
public struct BackupOperation {
    public var configuration: Configuration
    public var progress: ProgressReporter?
    /// `application_name` of the sessions the backup opens (drills find them by it).
    public static let applicationName = "pra-backup"

    public init(configuration: Configuration, progress: ProgressReporter? = nil) {
        self.configuration = configuration
        self.progress = progress
    }

    public func run() throws(OperationFailure) -> BackupResult {
        let settings: ConnectionSettings
        let level: Int
        let retention: RetentionPolicy
        let timeout: Double
        let jobs: Int
        do {
            settings = try configuration.connectionSettings()
            level = try configuration.integer("BACKUP_COMPRESSION_LEVEL", range: 1...9)
            jobs = try configuration.jobs()
            retention = RetentionPolicy(
                retentionDays: try configuration.integer("BACKUP_RETENTION_DAYS", range: 0...36500),
                minimumKept: try configuration.integer("BACKUP_MIN_KEEP", range: 1...100_000))
            timeout = try configuration.seconds("BACKUP_TIMEOUT")
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        let directory = configuration.backupDirectory
        let lock = try BackupLock.forBackup(in: directory)
        defer { withExtendedLifetime(lock) {} }
        // Under the lock: partial files whose writer is gone (a killed backup) are removed.
        var warnings = Self.removeOrphanedPartials(in: directory)

        let started = MonotonicClock.now()
        let startedAt = Date()
        let connection: PostgresConnection
        let serverVersion: String
        let serverMajor: Int
        let snapshot: String
        do {
            connection = try PostgresConnection(settings, applicationName: Self.applicationName)
            // BACKUP_TIMEOUT bounds the whole backup: its own queries too, not only pg_dump.
            if timeout > 0 { connection.operationDeadline = (started.adding(timeout), "BACKUP_TIMEOUT \(DurationParser.format(timeout))") }
            serverVersion = try connection.scalar("SHOW server_version") ?? "?"
            serverMajor = connection.serverVersionNumber / 10000
            try connection.execute("SET idle_in_transaction_session_timeout = 0")
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = try connection.scalar("SELECT pg_export_snapshot()") ?? ""
        } catch {
            throw OperationFailure(stage: "connect", error)
        }
        let database = connection.databaseName
        // The tables' size (heap and TOAST, no indexes: the dump holds none) makes a percentage
        // and an ETA possible; an estimate, so the percentage stops at 100 %.
        let databaseBytes = progress == nil ? nil : (try? connection.scalar("""
            SELECT sum(pg_table_size(c.oid))::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            """)).flatMap { $0 }.flatMap { UInt64($0) }

        let pgDump: String
        let pgDumpVersion: String
        do {
            pgDump = try PostgresBinaries(configuration: configuration).locate("pg_dump", preferredMajor: serverMajor)
            let version = try PostgresBinaries.majorVersion(of: pgDump)
            guard version.major >= serverMajor else {
                throw OperationFailure(stage: "pg_dump", message: "\(pgDump) is version \(version.major), older than the server (\(serverVersion)); install postgresql-client-\(serverMajor) or set PG_BIN_DIR", isUsageError: true)
            }
            pgDumpVersion = version.text
        } catch {
            throw OperationFailure(stage: "pg_dump", error)
        }

        let prefix = configuration.backupPrefix(for: database)
        let name = Self.freshName(prefix: prefix, directory: directory)
        let archivePath = (directory as NSString).appendingPathComponent(name.fileName)
        // The tables and their partitions and children, in the dump's snapshot: the rows are
        // counted from the dump's COPY data as it streams (no second scan of every table).
        let members: [DumpRowTally.Member]
        do {
            members = try DumpRowTally.catalogue(connection)
        } catch {
            throw OperationFailure(stage: "count rows", error)
        }
        let tally = DumpRowTally()

        let file: DurableFile
        do {
            file = try DurableFile(finalPath: archivePath)
        } catch {
            throw OperationFailure(stage: "write", error)
        }
        var hasher = SHA256()
        var tail = TailBuffer(capacity: 512)
        // The first bytes of the dump hold pg_dump's `\restrict` line, whose key the manifest records.
        var head: [UInt8] = []
        head.reserveCapacity(Self.headCapacity)
        // Deflate on every core while pg_dump streams; still one standard gzip member.
        let deflater: ParallelGzipDeflater
        do {
            deflater = try ParallelGzipDeflater(level: Int32(level), jobs: jobs)
        } catch {
            throw OperationFailure(stage: "compress", error)
        }
        let dump = ExternalProcess(
            executable: pgDump,
            // The name as a quoted connection string: never read as an option (`-f...`) nor
            // expanded from a connection string it contains (`dbname=prod`).
            arguments: ["--format=plain", "--snapshot=\(snapshot)", "--no-password", "--lock-wait-timeout=300000", "--dbname=" + Self.connectionString(database: database) + settings.childNetworkKeywords],
            environment: settings.childEnvironment(applicationName: Self.applicationName),
            timeout: timeout)
        let progress = self.progress
        defer { progress?.finish() }
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
                progress?.update(phase: "backup", bytes: deflater.bytesIn, total: databaseBytes)
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

        let tables: [BackupManifest.TableRows]
        do {
            tables = try tally.tables(members, connection: connection)
            try connection.execute("COMMIT")
        } catch {
            file.discard()
            throw OperationFailure(stage: "count rows", error)
        }
        // From the rename until the manifest is in place, an interrupt must not leave an archive
        // without its manifest behind: remove it then, unless the manifest made it complete.
        // The interrupt cleanup runs on another thread while this one goes on: it takes
        // `commitLock` and keeps it until the process exits, so the rename and the manifest are
        // either done in full before it looks, or never started (no half backup, no partial).
        if let problem = tally.scanProblem {
            warnings.append("the dump could not be read for its row counts (\(problem)); every table was counted with count(*) in the dump's snapshot instead")
        }
        let manifestPath = archivePath + BackupArchiveName.manifestSuffix
        let commitLock = NSLock()
        let incompleteToken = InterruptCleanup.shared.register {
            commitLock.lock()  // never released: the process exits after its cleanups
            if !FileManager.default.fileExists(atPath: manifestPath) { unlink(archivePath) }
        }
        defer { InterruptCleanup.shared.unregister(incompleteToken) }
        commitLock.lock()
        do {
            try file.commit()
        } catch {
            file.discard()
            commitLock.unlock()
            throw OperationFailure(stage: "write", error)
        }

        let finishedAt = Date()
        let manifest = BackupManifest(
            database: database, serverVersion: serverVersion, pgDumpVersion: pgDumpVersion,
            startedAt: startedAt, finishedAt: finishedAt, archive: name.fileName,
            compressedBytes: file.bytesWritten, uncompressedBytes: deflater.bytesIn,
            sha256: hasher.finalize().hex,
            compressionLevel: level, snapshot: snapshot, tables: tables, restrictKey: DumpScanner.restrictKey(inHead: head))
        do {
            try DurableFile.write(manifest.encoded(), to: manifestPath)
        } catch {
            // Without its manifest the archive is not a backup: remove it rather than leave a look-alike.
            unlink(archivePath)
            commitLock.unlock()
            throw OperationFailure(stage: "manifest", error)
        }
        commitLock.unlock()

        progress?.finish()
        let deleted = Self.applyRetention(retention, directory: directory, database: database, prefix: prefix, now: finishedAt, warnings: &warnings)
        return BackupResult(
            archive: archivePath, manifest: manifestPath, database: database, serverVersion: serverVersion,
            startedAt: startedAt, finishedAt: finishedAt, seconds: started.elapsed(),
            compressedBytes: manifest.compressedBytes, uncompressedBytes: manifest.uncompressedBytes,
            sha256: manifest.sha256, tableCount: tables.count, totalRows: manifest.totalRows,
            deletedByRetention: deleted, warnings: warnings)
    }

    static let headCapacity = 8192

    /// `dbname='...'` with libpq's quoting: pg_dump reads it as this database's name only.
    public static func connectionString(database: String) -> String {
        "dbname='" + database.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// Removes `.partial` files in `directory` whose writer is gone (no process holds their
    /// lock and they have not changed for a few seconds), returning a warning per file.
    static func removeOrphanedPartials(in directory: String, quietSeconds: Double = 5) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var warnings: [String] = []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".partial") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard DurableFile.isOrphaned(path, quietSeconds: quietSeconds) else { continue }
            if unlink(path) == 0 {
                warnings.append("removed \(name), left by an interrupted writer (killed backup)")
            }
        }
        return warnings
    }

    /// A name not yet taken: archive names have one-second resolution.
    static func freshName(prefix: String, directory: String, kind: BackupArchiveName.Kind = .full) -> BackupArchiveName {
        while true {
            let name = BackupArchiveName(prefix: prefix, timestamp: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)), kind: kind)
            let path = (directory as NSString).appendingPathComponent(name.fileName)
            let taken = [path, path + BackupArchiveName.manifestSuffix, (directory as NSString).appendingPathComponent(".\(name.fileName).partial")]
                .contains { FileManager.default.fileExists(atPath: $0) }
            if !taken { return name }
            usleep(200_000)
        }
    }

    /// Deletes complete backups that retention expires; returns the archive names removed.
    /// Only the backups of `database` (archive prefix and the manifest's database) are considered.
    static func applyRetention(_ policy: RetentionPolicy, directory: String, database: String, prefix: String, now: Date, warnings: inout [String]) -> [String] {
        let catalogue = BackupCatalogue(directory: directory).scoped(database: database, prefix: prefix)
        let complete = catalogue.complete
        let expired = Set(policy.expired(complete.map(\.name.timestamp), now: now))
        var deleted: [String] = []
        for entry in complete where expired.contains(entry.name.timestamp) {
            // Manifest first: a crash in between leaves an incomplete archive, never a "complete" one without data.
            for path in [entry.manifestPath, entry.archivePath, entry.verificationRecordPath] {
                if unlink(path) != 0 && errno != ENOENT {
                    warnings.append("retention could not delete \(path): \(String(cString: strerror(errno)))")
                }
            }
            deleted.append(entry.name.fileName)
        }
        return deleted
    }
}
