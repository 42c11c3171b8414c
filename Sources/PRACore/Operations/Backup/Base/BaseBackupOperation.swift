import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pra backup --base`: a physical copy of the whole cluster with `pg_basebackup` (tar format
/// on stdout, no WAL: the WAL archive provides it), streamed through pra's compressor
/// (`BASE_BACKUP_COMPRESSION`: gzip, zstd or lz4) and SHA-256
/// into a durable archive; PostgreSQL's `backup_manifest` is kept beside it and the pra
/// manifest is written last. Then retention of base backups and of the WAL they no longer need.
public struct BaseBackupOperation {
    public var configuration: Configuration
    public var progress: ProgressReporter?
    /// `--incremental-from`: `newest` or a base backup archive's file name; `nil` for a full
    /// base backup. Only what changed since that backup is stored (``RangeMapTarFilter``).
    public var incrementalFrom: String?
    public static let applicationName = "pra-base-backup"

    public init(configuration: Configuration, progress: ProgressReporter? = nil, incrementalFrom: String? = nil) {
        self.configuration = configuration
        self.progress = progress
        self.incrementalFrom = incrementalFrom
    }

    public func run() throws(OperationFailure) -> BaseBackupResult {
        let settings = try BaseBackupSettings(configuration)
        let directory = configuration.backupDirectory
        let lock = try BackupLock.forBackup(in: directory)
        defer { withExtendedLifetime(lock) {} }
        // Under the lock: partial files whose writer is gone (a killed backup) are removed.
        var warnings = BackupOperation.removeOrphanedPartials(in: directory)

        let run = RunRecorder()
        let server = try connectArchivingServer(settings, directory: directory)
        let reading = try chooseReading(server, settings: settings)
        if case .stream(let note?) = reading { warnings.append(note) }
        let tool = try locateReader(for: server, reading: reading)
        let reference = try incrementalFrom.map { choice throws(OperationFailure) in
            try IncrementalBaseBackupSource.resolve(choice, directory: directory, systemIdentifier: server.systemIdentifier)
        }
        let name = BackupOperation.freshName(prefix: configuration.backupPrefix(for: server.database), directory: directory, kind: .base, codec: settings.codec)
        let archivePath = (directory as NSString).appendingPathComponent(name.fileName)
        let (file, deflater) = try openArchive(archivePath, settings: settings)
        defer { progress?.finish() }
        do {
            let (copied, chained) = try copy(server, reading: reading, with: tool, label: name.fileName, settings: settings, since: run.startedAt, reference: reference, deflater: deflater, into: file)
            let manifest = try commit(file, archivePath: archivePath, copied: copied, chained: chained, server: server, tool: tool, startedAt: run.startedAt, codec: settings.codec, level: settings.codecLevel, uncompressedBytes: deflater.bytesIn)
            warnings += chained.notes
            let retained = BaseBackupRetention(policy: settings.retention, directory: directory, segmentSize: server.segmentSize)
            let deleted = retained.apply(now: manifest.finishedAt, warnings: &warnings)
            var result = BaseBackupResult(
                archive: archivePath, manifest: archivePath + BackupArchiveName.manifestSuffix, postgresManifest: archivePath + BaseBackupManifest.postgresManifestSuffix,
                database: server.database, systemIdentifier: server.systemIdentifier, serverVersion: server.version,
                startedAt: run.startedAt, finishedAt: manifest.finishedAt, seconds: run.elapsed(),
                compressedBytes: manifest.compressedBytes, uncompressedBytes: manifest.uncompressedBytes, sha256: manifest.sha256,
                timeline: manifest.timeline, startLSN: manifest.startLSN, endLSN: manifest.endLSN, startSegment: manifest.startSegment,
                deletedByRetention: deleted.backups, walFilesDeleted: deleted.walFiles, warnings: warnings)
            result.incrementalFrom = manifest.incrementalFrom?.archive
            result.chainDepth = manifest.chainDepth
            result.storedRanges = chained.storedRanges
            result.referencedRanges = chained.referencedRanges
            result.readFrom = reading.source
            result.pageChecksumsVerified = chained.pagesVerified
            if let remote = settings.remote { copyOffSite(&result, with: remote) }
            return result
        } catch {
            progress?.finish()
            file.discard()
            let stage = (error as? ConsumerFailure)?.underlying is FileError || error is FileError ? "write" : reading.source == .dataDirectory ? "read" : "pg_basebackup"
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
