import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pra backup --base`: a physical copy of the whole cluster with `pg_basebackup` (tar format
/// on stdout, no WAL: the WAL archive provides it), streamed through pra's gzip and SHA-256
/// into a durable archive; PostgreSQL's `backup_manifest` is kept beside it and the pra
/// manifest is written last. Then retention of base backups and of the WAL they no longer need.
public struct BaseBackupOperation {
    public var configuration: Configuration
    public var progress: ProgressReporter?
    public static let applicationName = "pra-base-backup"

    public init(configuration: Configuration, progress: ProgressReporter? = nil) {
        self.configuration = configuration
        self.progress = progress
    }

    public func run() throws(OperationFailure) -> BaseBackupResult {
        let settings: ConnectionSettings
        let level: Int
        let retention: RetentionPolicy
        let timeout: Double
        let archiveWait: Double
        let jobs: Int
        let remote: RemoteCopyOperation?
        do {
            settings = try configuration.connectionSettings()
            level = try configuration.integer("BACKUP_COMPRESSION_LEVEL", range: 1...9)
            jobs = try configuration.jobs()
            retention = RetentionPolicy(
                retentionDays: try configuration.integer("BASE_BACKUP_RETENTION_DAYS", range: 0...36500),
                minimumKept: try configuration.integer("BASE_BACKUP_MIN_KEEP", range: 1...100_000))
            timeout = try configuration.seconds("BACKUP_TIMEOUT")
            archiveWait = try configuration.seconds("ARCHIVE_WAIT_TIMEOUT")
            remote = try RemoteCopyOperation.forBaseBackups(configuration: configuration)
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        let directory = configuration.backupDirectory
        let lock = try BackupLock.forBackup(in: directory)
        defer { withExtendedLifetime(lock) {} }
        // Under the lock: partial files whose writer is gone (a killed backup) are removed.
        var warnings = BackupOperation.removeOrphanedPartials(in: directory)

        let started = MonotonicClock.now()
        let startedAt = Date()
        let server: ArchivingServer
        do {
            server = try ArchivingServer(settings: settings, applicationName: Self.applicationName)
        } catch {
            throw OperationFailure(stage: "connect", error)
        }
        try server.requireArchiving(into: WALArchive(backupDirectory: directory))

        let tool: String
        let toolVersion: String
        do {
            tool = try PostgresBinaries(configuration: configuration).locate("pg_basebackup", preferredMajor: server.majorVersion)
            toolVersion = try PostgresBinaries.majorVersion(of: tool).text
        } catch {
            throw OperationFailure(stage: "pg_basebackup", error)
        }

        let prefix = configuration.backupPrefix(for: server.database)
        let name = BackupOperation.freshName(prefix: prefix, directory: directory, kind: .base)
        let archivePath = (directory as NSString).appendingPathComponent(name.fileName)
        let file: DurableFile
        let deflater: ParallelGzipDeflater
        do {
            file = try DurableFile(finalPath: archivePath)
            deflater = try ParallelGzipDeflater(level: Int32(level), jobs: jobs)
        } catch {
            throw OperationFailure(stage: "write", error)
        }
        var hasher = SHA256()
        var tar = TarStreamScanner(keeping: "backup_manifest")
        // No WAL in the copy (-X none): pg_basebackup then waits until the WAL the backup needs is archived.
        let process = ExternalProcess(
            executable: tool,
            arguments: ["--pgdata=-", "--format=tar", "--wal-method=none", "--checkpoint=fast", "--no-password",
                        "--label=pra \(name.fileName)"] + (settings.childNetworkKeywords.isEmpty ? [] : ["--dbname=" + settings.childNetworkKeywords.trimmingCharacters(in: .whitespaces)]),
            environment: settings.childEnvironment(applicationName: Self.applicationName),
            timeout: timeout)
        let progress = self.progress
        defer { progress?.finish() }
        let writeCompressed: (UnsafeRawBufferPointer) throws -> Void = { chunk in
            hasher.update(bufferPointer: chunk)
            try file.write(chunk)
        }
        // pg_basebackup waits without limit for WAL that a failing archive_command never archives.
        let stallWatch = ArchiveStallWatch(settings: settings, applicationName: Self.applicationName, since: startedAt, patience: archiveWait)
        stallWatch.start()
        do {
            let outcome: ExternalProcess.Outcome
            do {
                outcome = try process.run { chunk in
                    tar.scan(chunk)
                    try deflater.compress(chunk, sink: writeCompressed)
                    progress?.update(phase: "base backup", bytes: deflater.bytesIn, total: server.clusterSize)
                }
                stallWatch.stop()
            } catch {
                stallWatch.stop()
                throw error
            }
            if let stalled = stallWatch.reason {
                throw OperationFailure(stage: "archiving", message: stalled)
            }
            progress?.announce("base backup: copy complete; checking the tar archive and writing the manifests")
            try process.check(outcome)
            if let problem = tar.problem {
                throw OperationFailure(stage: "pg_basebackup", message: "the output is not a valid tar archive: \(problem)")
            }
            guard tar.reachedEnd, let content = tar.keptContent else {
                throw OperationFailure(stage: "pg_basebackup", message: "pg_basebackup exited 0 but its output \(tar.reachedEnd ? "holds no backup_manifest" : "ends before the end-of-archive marker"); the backup is incomplete")
            }
            try deflater.finish(sink: writeCompressed)
            let walRange = try Self.walRange(of: content)
            let postgresManifestPath = archivePath + BaseBackupManifest.postgresManifestSuffix
            let manifestPath = archivePath + BackupArchiveName.manifestSuffix
            // From the rename until the manifest is in place, an interrupt removes the archive.
            let incompleteToken = InterruptCleanup.shared.register {
                if !FileManager.default.fileExists(atPath: manifestPath) { unlink(archivePath); unlink(postgresManifestPath) }
            }
            defer { InterruptCleanup.shared.unregister(incompleteToken) }
            try DurableFile.write(Data(content), to: postgresManifestPath)
            try file.commit()
            let segmentSize = server.segmentSize
            let manifest = BaseBackupManifest(
                database: server.database, systemIdentifier: server.systemIdentifier, serverVersion: server.version,
                pgBasebackupVersion: toolVersion, startedAt: startedAt, finishedAt: Date(), archive: name.fileName,
                compressedBytes: file.bytesWritten, uncompressedBytes: deflater.bytesIn, sha256: hasher.finalize().hex,
                compressionLevel: level, timeline: walRange.timeline, startLSN: walRange.start, endLSN: walRange.end,
                startSegment: WALFileName.segment(containing: walRange.start, timeline: walRange.timeline, segmentSize: segmentSize).text,
                endSegment: WALFileName.segment(containing: walRange.end, timeline: walRange.timeline, segmentSize: segmentSize).text,
                postgresManifest: (postgresManifestPath as NSString).lastPathComponent,
                postgresManifestSHA256: SHA256.hash(data: content).hex, fileCount: tar.entryCount)
            do {
                try DurableFile.write(manifest.encoded(), to: manifestPath)
            } catch {
                unlink(archivePath)
                unlink(postgresManifestPath)
                throw error
            }
            let retained = BaseBackupRetention(policy: retention, directory: directory, segmentSize: segmentSize)
            let deleted = retained.apply(now: manifest.finishedAt, warnings: &warnings)
            var result = BaseBackupResult(
                archive: archivePath, manifest: manifestPath, postgresManifest: postgresManifestPath,
                database: server.database, systemIdentifier: server.systemIdentifier, serverVersion: server.version,
                startedAt: startedAt, finishedAt: manifest.finishedAt, seconds: started.elapsed(),
                compressedBytes: manifest.compressedBytes, uncompressedBytes: manifest.uncompressedBytes, sha256: manifest.sha256,
                timeline: manifest.timeline, startLSN: manifest.startLSN, endLSN: manifest.endLSN, startSegment: manifest.startSegment,
                deletedByRetention: deleted.backups, walFilesDeleted: deleted.walFiles, warnings: warnings)
            if let remote { copyOffSite(&result, with: remote) }
            return result
        } catch {
            progress?.finish()
            file.discard()
            let stage = (error as? ConsumerFailure)?.underlying is FileError || error is FileError ? "write" : "pg_basebackup"
            throw OperationFailure(stage: stage, error)
        }
    }

    /// Copies the complete local base backup to `REMOTE_TARGET`, still under the backup lock
    /// (as the dump copy runs under it): a failure is recorded in the result, never thrown, since
    /// the local backup stands (the command exits 3).
    private func copyOffSite(_ result: inout BaseBackupResult, with remote: RemoteCopyOperation) {
        let name = (result.archive as NSString).lastPathComponent
        progress?.announce("remote copy: sending \(name) to \(remote.store.description) and reading it back")
        do {
            let copy = try remote.copyBase(archivePath: result.archive)
            result.remoteCopy = copy
            result.warnings += copy.warnings
        } catch {
            result.remoteCopyError = error.message
        }
        progress?.finish()
    }

    /// Timeline and LSN range from PostgreSQL's backup manifest (`WAL-Ranges`).
    static func walRange(of manifest: [UInt8]) throws(OperationFailure) -> (timeline: UInt32, start: LogSequenceNumber, end: LogSequenceNumber) {
        struct PostgresManifest: Decodable {
            struct Range: Decodable {
                let timeline: UInt32
                let start: String
                let end: String
                enum CodingKeys: String, CodingKey { case timeline = "Timeline", start = "Start-LSN", end = "End-LSN" }
            }
            let ranges: [Range]
            enum CodingKeys: String, CodingKey { case ranges = "WAL-Ranges" }
        }
        guard let decoded = try? JSONDecoder().decode(PostgresManifest.self, from: Data(manifest)),
              let first = decoded.ranges.first, let last = decoded.ranges.last,
              let start = LogSequenceNumber(first.start), let end = LogSequenceNumber(last.end) else {
            throw OperationFailure(stage: "pg_basebackup", message: "backup_manifest has no readable WAL-Ranges; the backup cannot be placed in the WAL")
        }
        return (last.timeline, start, end)
    }
}
