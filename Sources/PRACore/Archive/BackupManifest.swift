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
    /// The archive's codec (`BACKUP_COMPRESSION`); absent in manifests written before it and in
    /// gzip ones (so older pra versions still read them). Read through ``codec``.
    public var compression: CompressionCodec?
    /// The exported snapshot the dump and the row counts shared.
    public var snapshot: String
    public var tables: [TableRows]
    /// pg_dump's `\restrict` key (pg_dump 15.14 and later): a restore of this archive requires
    /// the dump's `\restrict` line to carry it. `nil`: the dump has none (older pg_dump).
    public var restrictKey: String?

    public init(formatVersion: Int = Self.currentFormatVersion, toolVersion: String = PRAVersion.current, kind: String = "full", database: String, serverVersion: String, pgDumpVersion: String, startedAt: Date, finishedAt: Date, archive: String, compressedBytes: UInt64, uncompressedBytes: UInt64, sha256: String, compressionLevel: Int, compression: CompressionCodec? = nil, snapshot: String, tables: [TableRows], restrictKey: String? = nil) {
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
        self.compression = compression == .gzip ? nil : compression
        self.snapshot = snapshot
        self.tables = tables
        self.restrictKey = restrictKey
    }

    /// Foundation reports a number that does not fit its field as "not JSON": find which.
    static func outOfRangeField(in text: String) -> String? {
        let unsigned = ["compressedBytes", "uncompressedBytes"]
        for key in unsigned + ["formatVersion", "compressionLevel", "rows"] {
            guard let regex = try? NSRegularExpression(pattern: "\"\(key)\"\\s*:\\s*([-+0-9.eE]+)") else { continue }
            for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                let number = String(text[range])
                let fits = unsigned.contains(key) ? UInt64(number) != nil : Int64(number) != nil
                if !fits { return "field \(key): \(number.prefix(24)) is out of range" }
            }
        }
        return nil
    }

    /// What makes these values impossible for a real backup (`nil`: nothing).
    var problem: String? {
        if finishedAt < startedAt { return "field finishedAt: before startedAt" }
        if !codec.levels.contains(compressionLevel) { return "field compressionLevel: \(compressionLevel) is not a \(codec.rawValue) level (\(codec.levels.lowerBound)-\(codec.levels.upperBound))" }
        if sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) { return "field sha256: not a SHA-256" }
        if archive.isEmpty || archive.contains("/") { return "field archive: not a file name" }
        if tables.contains(where: { $0.rows < 0 }) { return "field tables: negative row count" }
        if let restrictKey, restrictKey.isEmpty || !restrictKey.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            return "field restrictKey: not an alphanumeric key"
        }
        return nil
    }

    /// The archive's codec (gzip when the manifest does not say).
    public var codec: CompressionCodec { compression ?? .gzip }

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
            var reason = JSONCoding.describeField(error)
            if reason == "not JSON", let field = outOfRangeField(in: String(decoding: data, as: UTF8.self)) { reason = field }
            throw ArchiveError.manifestUnreadable(path: path, reason: "manifest invalid: \(reason)")
        }
        if let problem = manifest.problem {
            throw ArchiveError.manifestUnreadable(path: path, reason: "manifest invalid: \(problem)")
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
