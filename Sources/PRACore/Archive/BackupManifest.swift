import Foundation

/// The manifest written beside a full backup, last, once the archive is durable.
/// Its presence marks the backup complete.
public struct BackupManifest: Codable, Sendable, Equatable {
    /// Row count of one table, taken in the dump's snapshot.
    public struct TableRows: Codable, Sendable, Equatable {
        public var schema: String
        public var name: String
        public var rows: Int64

        public init(schema: String, name: String, rows: Int64) {
            self.schema = schema
            self.name = name
            self.rows = rows
        }

        public var qualifiedName: String { "\(schema).\(name)" }
    }

    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var toolVersion: String
    public var kind: String
    public var database: String
    public var serverVersion: String
    public var pgDumpVersion: String
    public var startedAt: Date
    public var finishedAt: Date
    /// File name of the archive (same directory).
    public var archive: String
    public var compressedBytes: UInt64
    public var uncompressedBytes: UInt64
    public var sha256: String
    public var compressionLevel: Int
    /// The exported snapshot the dump and the row counts shared.
    public var snapshot: String
    public var tables: [TableRows]

    public init(formatVersion: Int = Self.currentFormatVersion, toolVersion: String = PRAVersion.current, kind: String = "full", database: String, serverVersion: String, pgDumpVersion: String, startedAt: Date, finishedAt: Date, archive: String, compressedBytes: UInt64, uncompressedBytes: UInt64, sha256: String, compressionLevel: Int, snapshot: String, tables: [TableRows]) {
        self.formatVersion = formatVersion
        self.toolVersion = toolVersion
        self.kind = kind
        self.database = database
        self.serverVersion = serverVersion
        self.pgDumpVersion = pgDumpVersion
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.archive = archive
        self.compressedBytes = compressedBytes
        self.uncompressedBytes = uncompressedBytes
        self.sha256 = sha256
        self.compressionLevel = compressionLevel
        self.snapshot = snapshot
        self.tables = tables
    }

    /// Total rows over all tables.
    public var totalRows: Int64 { tables.reduce(0) { $0 + $1.rows } }

    public func encoded() -> Data {
        // Encoding plain value types cannot fail.
        try! JSONCoding.encoder.encode(self)
    }

    /// Reads and decodes the manifest at `path`; the error names the file and what is wrong.
    public static func load(path: String) throws(ArchiveError) -> BackupManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArchiveError.manifestUnreadable(path: path, reason: "cannot read the file")
        }
        let manifest: BackupManifest
        do {
            manifest = try JSONCoding.decoder.decode(BackupManifest.self, from: data)
        } catch {
            throw ArchiveError.manifestUnreadable(path: path, reason: "not a valid manifest (\(JSONCoding.describe(error)))")
        }
        guard manifest.formatVersion <= currentFormatVersion else {
            throw ArchiveError.manifestUnreadable(path: path, reason: "format version \(manifest.formatVersion) is newer than this pra understands (\(currentFormatVersion))")
        }
        return manifest
    }
}

/// The version of this tool, recorded in manifests and reports.
public enum PRAVersion {
    public static let current = "0.1.0"
}
