import Foundation

/// `pra backup --incremental`: forces a WAL switch and waits until every segment up to it is
/// in the WAL archive, unbroken since the newest base backup. Afterwards everything committed
/// before the switch is safe, and the record `wal/incremental.json` says so.
public struct IncrementalBackupOperation {
    public var configuration: Configuration
    public static let applicationName = "pra-incremental"
    public static let recordFileName = "incremental.json"

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func run() throws(OperationFailure) -> IncrementalBackupResult {
        let settings: ConnectionSettings
        let waitTimeout: Double
        do {
            settings = try configuration.connectionSettings()
            waitTimeout = try configuration.seconds(.archiveWaitTimeout)
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        let run = RunRecorder()
        let directory = configuration.backupDirectory
        let archive = WALArchive(backupDirectory: directory)
        let server: ArchivingServer
        let safeBefore: Date
        let switchLSN: LogSequenceNumber
        let segment: WALFileName
        do {
            server = try ArchivingServer(settings: settings, applicationName: Self.applicationName)
            try server.requireArchiving(into: archive)
            // Every commit acknowledged before this moment lies before the switch point.
            safeBefore = Date()
            let row = try server.connection.execute("SELECT lsn::text, pg_walfile_name(lsn) FROM pg_switch_wal() AS lsn").rows.first ?? []
            guard row.count == 2, let lsn = row[0].flatMap(LogSequenceNumber.init), let name = row[1].flatMap(WALFileName.init) else {
                throw OperationFailure(stage: "switch", message: "pg_switch_wal() returned no usable position")
            }
            switchLSN = lsn
            // pg_walfile_name puts a segment boundary in the segment before it: the one just completed.
            segment = name
        } catch let failure as OperationFailure {
            throw failure
        } catch {
            throw OperationFailure(stage: "connect", error)
        }

        let newestBase = BaseBackupCatalogue(directory: directory).complete.first { $0.manifest?.systemIdentifier == server.systemIdentifier }
        var warnings: [String] = []
        if newestBase == nil {
            warnings.append("no base backup in \(directory) yet: archived WAL alone cannot be restored; run pra backup --base")
        }
        try server.waitUntilArchived(segment, in: archive, started: run.started, timeout: waitTimeout)
        var result = IncrementalBackupResult(
            segment: segment.text, switchLSN: switchLSN, safeBefore: safeBefore, systemIdentifier: server.systemIdentifier,
            baseBackup: newestBase?.name.fileName, seconds: 0, warnings: warnings)
        if let base = newestBase?.manifest { try requireContinuity(from: base, to: segment, in: archive, segmentSize: server.segmentSize) }
        result.seconds = run.elapsed()
        do {
            try DurableFile.write(JSONCoding.encoder.encode(result), to: (archive.root as NSString).appendingPathComponent(Self.recordFileName))
        } catch {
            throw OperationFailure(stage: "record", error)
        }
        return result
    }

    /// Recovery from the newest base backup must be able to replay up to `segment`: no gap in
    /// the archive between them.
    private func requireContinuity(from base: BaseBackupManifest, to segment: WALFileName, in archive: WALArchive, segmentSize: UInt64) throws(OperationFailure) {
        guard let start = WALFileName(base.startSegment) else { return }
        let continuity = WALContinuity(files: archive.files(), start: start, segmentSize: segmentSize, history: archive.history(of:))
        guard continuity.covers(segment, segmentSize: segmentSize) else {
            let missing = continuity.gap?.text ?? "after \(continuity.lastContiguous?.name.text ?? base.startSegment)"
            throw OperationFailure(stage: "archive", message: "WAL segment \(missing) is missing from \(archive.root): recovery from base backup \(base.archive) cannot get past it, so commits after it are not safe. Take a new base backup (pra backup --base)")
        }
    }

    /// The record of the last successful run, when there is one.
    public static func lastRecord(backupDirectory: String) -> IncrementalBackupResult? {
        let path = (WALArchive(backupDirectory: backupDirectory).root as NSString).appendingPathComponent(recordFileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONCoding.decoder.decode(IncrementalBackupResult.self, from: data)
    }
}
