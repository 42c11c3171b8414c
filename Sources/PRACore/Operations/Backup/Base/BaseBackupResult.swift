import Foundation

/// What a successful base backup produced.
public struct BaseBackupResult: Codable, Sendable {
    public var kind = "base"
    public var archive: String
    public var manifest: String
    /// PostgreSQL's own `backup_manifest`, kept beside the archive.
    public var postgresManifest: String
    public var database: String
    public var systemIdentifier: String
    public var serverVersion: String
    public var startedAt: Date
    public var finishedAt: Date
    public var seconds: Double
    public var compressedBytes: UInt64
    public var uncompressedBytes: UInt64
    public var sha256: String
    public var timeline: UInt32
    public var startLSN: LogSequenceNumber
    public var endLSN: LogSequenceNumber
    public var startSegment: String
    /// Base backups removed by retention after this one succeeded.
    public var deletedByRetention: [String]
    /// Archived WAL files no kept base backup needs any more, removed.
    public var walFilesDeleted: Int
    public var warnings: [String]
    /// The off-site copy (`REMOTE_TARGET`), when one was made and read back.
    public var remoteCopy: RemoteCopyResult?
    /// Why the off-site copy failed (the local backup is complete: `pra backup` exits 3).
    public var remoteCopyError: String?
    /// An incremental base backup: the archive it holds the changes since, and its depth in the chain.
    public var incrementalFrom: String?
    public var chainDepth: Int?
    /// Ranges (of the range map) stored in the archive, and left to the reference (0 for a full one).
    public var storedRanges: Int?
    public var referencedRanges: Int?
    /// How the cluster was read (`BASE_BACKUP_READ`).
    public var readFrom: ReadSource?
    /// Data pages whose checksum pra verified while reading the data directory (`data_checksums`
    /// on); `nil` when it did not read them itself (`pg_basebackup`'s server checks them) or
    /// the cluster has no page checksums.
    public var pageChecksumsVerified: Int?

    /// Where a base backup's bytes came from.
    public enum ReadSource: String, Codable, Sendable {
        /// `pg_basebackup`'s tar stream.
        case pgBasebackup
        /// The data directory, read by pra between `pg_backup_start` and `pg_backup_stop`.
        case dataDirectory
    }

    /// One line for the terminal.
    public var summary: String {
        "\(incrementalFrom == nil ? "base backup" : "incremental base backup") complete: \((archive as NSString).lastPathComponent) (\(ByteCount.format(compressedBytes)) from \(ByteCount.format(uncompressedBytes)) of data directory, WAL from \(startSegment), \(DurationParser.format(seconds)))" + (incrementalFrom.map { "; changes since \($0): \(storedRanges ?? 0) ranges stored, \(referencedRanges ?? 0) unchanged" } ?? "")
    }
}
