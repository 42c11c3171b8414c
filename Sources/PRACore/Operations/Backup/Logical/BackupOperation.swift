import Crypto
import Foundation

/// `pra backup --full`: pg_dump (plain SQL) streamed through the archive's compressor
/// (`BACKUP_COMPRESSION`: gzip, zstd or lz4) into a durable archive,
/// row counts from the dump's own COPY data (its snapshot), then the manifest, then retention,
/// then the off-site copy when `REMOTE_TARGET` is set.
public struct BackupOperation {
    public var configuration: Configuration
    public var progress: ProgressReporter?
    /// `application_name` of the sessions the backup opens (drills find them by it).
    public static let applicationName = "pra-backup"
    /// Which tables' rows pra copies itself over several sessions (tests lower the bar).
    var splitLimits = SplitTableDump.Limits.standard

    public init(configuration: Configuration, progress: ProgressReporter? = nil) {
        self.configuration = configuration
        self.progress = progress
    }

    public func run() throws(OperationFailure) -> BackupResult {
        let settings = try BackupSettings(configuration)
        var result = try backUp(settings)
        // After the lock is released: the copy takes it itself, so that no other backup's
        // retention removes the archive while it is being sent.
        if let remote = settings.remote { copyOffSite(&result, with: remote) }
        return result
    }

    /// The backup itself, under the backup lock: dump, manifest, retention.
    private func backUp(_ settings: BackupSettings) throws(OperationFailure) -> BackupResult {
        let directory = configuration.backupDirectory
        let lock = try BackupLock.forBackup(in: directory)
        defer { withExtendedLifetime(lock) {} }
        // Under the lock: partial files whose writer is gone (a killed backup) are removed.
        var warnings = Self.removeOrphanedPartials(in: directory)

        let run = RunRecorder()
        let session = try openSnapshot(settings, started: run.started)
        let pgDump = try locatePgDump(for: session)
        let prefix = configuration.backupPrefix(for: session.database)
        let name = Self.freshName(prefix: prefix, directory: directory, codec: settings.codec)
        let archivePath = (directory as NSString).appendingPathComponent(name.fileName)
        let members = try catalogueTables(session)
        let file = try openArchive(archivePath)
        let tally = DumpRowTally()
        defer { progress?.finish() }
        let dumped = try dump(session, with: pgDump, settings: settings, tally: tally, into: file)
        let tables = try countRows(tally, members: members, session: session, discarding: file)
        if let problem = tally.scanProblem {
            warnings.append("the dump could not be read for its row counts (\(problem)); every table was counted with count(*) in the dump's snapshot instead")
        }
        let finishedAt = Date()
        let manifest = BackupManifest(
            database: session.database, serverVersion: session.serverVersion, pgDumpVersion: pgDump.version,
            startedAt: run.startedAt, finishedAt: finishedAt, archive: name.fileName,
            compressedBytes: file.bytesWritten, uncompressedBytes: dumped.uncompressedBytes, sha256: dumped.sha256,
            compressionLevel: settings.codecLevel, compression: settings.codec, snapshot: session.snapshot, tables: tables, restrictKey: DumpScanner.restrictKey(inHead: dumped.head))
        let manifestPath = try commit(file, archivePath: archivePath, manifest: manifest)
        progress?.finish()  // before retention's lines
        let deleted = Self.applyRetention(settings.retention, directory: directory, database: session.database, prefix: prefix, now: finishedAt, warnings: &warnings)
        return BackupResult(
            archive: archivePath, manifest: manifestPath, database: session.database, serverVersion: session.serverVersion,
            startedAt: run.startedAt, finishedAt: finishedAt, seconds: run.elapsed(),
            compressedBytes: manifest.compressedBytes, uncompressedBytes: manifest.uncompressedBytes,
            sha256: manifest.sha256, tableCount: tables.count, totalRows: manifest.totalRows,
            deletedByRetention: deleted, warnings: warnings, parallelCopies: dumped.parallelCopies, copySessions: dumped.copySessions)
    }

    /// Copies the archive and then its manifest to `REMOTE_TARGET`, each read back (under the
    /// backup lock, which the copy takes): a failure is recorded in the result, never thrown,
    /// since the local backup stands (the command exits 3).
    private func copyOffSite(_ result: inout BackupResult, with remote: RemoteCopyOperation) {
        let name = (result.archive as NSString).lastPathComponent
        progress?.announce("remote copy: sending \(name) to \(remote.store.description) and reading it back")
        do {
            let copy = try remote.copy(archivePath: result.archive, manifestPath: result.manifest)
            result.remoteCopy = copy
            result.warnings += copy.warnings
        } catch {
            result.remoteCopyError = error.message
        }
        progress?.finish()
    }

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
    static func freshName(prefix: String, directory: String, kind: BackupArchiveName.Kind = .full, codec: CompressionCodec = .gzip) -> BackupArchiveName {
        while true {
            let timestamp = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let name = BackupArchiveName(prefix: prefix, timestamp: timestamp, kind: kind, codec: codec)
            // A base backup of the same second in another codec takes the stamp too.
            let taken = CompressionCodec.allCases.map { BackupArchiveName(prefix: prefix, timestamp: timestamp, kind: kind, codec: $0).fileName }.contains { fileName in
                let path = (directory as NSString).appendingPathComponent(fileName)
                return [path, path + BackupArchiveName.manifestSuffix, (directory as NSString).appendingPathComponent(".\(fileName).partial")]
                    .contains { FileManager.default.fileExists(atPath: $0) }
            }
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
