import Foundation

/// The pra manifest of a base backup, written last (as for full backups): its presence marks
/// the backup complete. It says where recovery from this backup starts in the WAL.
public struct BaseBackupManifest: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1
    /// Suffix of PostgreSQL's own `backup_manifest`, kept beside the archive.
    public static let postgresManifestSuffix = ".backup_manifest"

    public var formatVersion: Int = Self.currentFormatVersion
    public var toolVersion: String = PRAVersion.current
    public var kind: String = "base"
    /// The database pra was configured for when it took the backup (the copy holds the whole cluster).
    public var database: String
    public var systemIdentifier: String
    public var serverVersion: String
    public var pgBasebackupVersion: String
    public var startedAt: Date
    public var finishedAt: Date
    /// File name of the archive (same directory): a compressed tar of the data directory.
    public var archive: String
    public var compressedBytes: UInt64
    public var uncompressedBytes: UInt64
    public var sha256: String
    public var compressionLevel: Int
    /// The archive's codec; absent in manifests written before `BASE_BACKUP_COMPRESSION`
    /// (gzip). Read through ``codec``.
    public var compression: CompressionCodec?
    public var timeline: UInt32
    /// WAL from here on is needed to restore the backup (its checkpoint's redo point).
    public var startLSN: LogSequenceNumber
    /// Recovery is consistent once replay reaches this point: the earliest moment it can stop at.
    public var endLSN: LogSequenceNumber
    /// The first WAL segment recovery needs.
    public var startSegment: String
    /// The WAL segment holding ``endLSN``.
    public var endSegment: String
    /// PostgreSQL's `backup_manifest` (file name, same directory) and its SHA-256.
    public var postgresManifest: String
    public var postgresManifestSHA256: String
    public var fileCount: Int
    /// The ``RangeMap`` beside the archive (file name) and its SHA-256; `nil` in manifests
    /// written before pra kept one (such a backup cannot be the reference of an incremental).
    public var rangeMap: String?
    public var rangeMapSHA256: String?
    /// Set for an incremental base backup: the base backup it holds the changes since.
    public var incrementalFrom: IncrementalBaseBackupReference?
    /// How many incrementals lead from the full base backup to this one (0 or `nil`: a full one).
    public var chainDepth: Int?

    /// Whether restoring this backup needs the chain of base backups it refers to.
    public var isIncremental: Bool { incrementalFrom != nil }

    /// The archive's codec (gzip when the manifest predates the field).
    public var codec: CompressionCodec { compression ?? .gzip }

    public func encoded() -> Data {
        // Encoding plain value types cannot fail.
        try! JSONCoding.encoder.encode(self)
    }

    /// Reads and decodes the manifest at `path`; the error names the file and what is wrong.
    public static func load(path: String) throws(ArchiveError) -> BaseBackupManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArchiveError.manifestUnreadable(path: path, reason: "cannot read the file")
        }
        let manifest: BaseBackupManifest
        do {
            manifest = try JSONCoding.decoder.decode(BaseBackupManifest.self, from: data)
        } catch {
            throw ArchiveError.manifestUnreadable(path: path, reason: "not a valid base backup manifest (\(JSONCoding.describe(error)))")
        }
        guard manifest.formatVersion <= currentFormatVersion else {
            throw ArchiveError.manifestUnreadable(path: path, reason: "format version \(manifest.formatVersion) is newer than this pra understands (\(currentFormatVersion))")
        }
        return manifest
    }
}
