import Foundation

/// The archive naming contract (UTC): `<prefix>_backup_full_<YYYYMMDD>_<HHMMSS>.sql.gz`
/// (`.sql.zst`, `.sql.lz4`: `BACKUP_COMPRESSION`) for a logical dump,
/// `<prefix>_backup_base_<YYYYMMDD>_<HHMMSS>.tar.gz` (`.tar.zst`, `.tar.lz4`:
/// `BASE_BACKUP_COMPRESSION`) for a physical base backup.
public struct BackupArchiveName: Sendable, Equatable, Hashable {
    /// Logical dump or physical base backup: separate catalogues, never mixed up.
    public enum Kind: String, Sendable, Codable {
        case full, base
    }

    public static let manifestSuffix = ".manifest.json"
    public static let verificationSuffix = ".verify.json"

    public let prefix: String
    public let timestamp: Date
    public let kind: Kind
    /// The archive's compression, from its name.
    public let codec: CompressionCodec

    public init(prefix: String, timestamp: Date, kind: Kind = .full, codec: CompressionCodec = .gzip) {
        self.prefix = prefix
        self.timestamp = timestamp
        self.kind = kind
        self.codec = codec
    }

    /// The file-name suffix of an archive of `kind` in `codec` (`.sql.zst`, `.tar.lz4`, ...).
    public static func suffix(of kind: Kind, codec: CompressionCodec) -> String {
        (kind == .base ? ".tar" : ".sql") + codec.fileExtension
    }

    /// Parses a file name of `kind`, in any codec; `nil` when it does not follow the contract.
    public init?(fileName: String, kind: Kind = .full) {
        guard let codec = CompressionCodec.allCases.first(where: { fileName.hasSuffix(Self.suffix(of: kind, codec: $0)) }) else { return nil }
        let suffix = Self.suffix(of: kind, codec: codec)
        let stem = fileName.dropLast(suffix.count)
        guard let marker = stem.range(of: "_backup_\(kind.rawValue)_", options: .backwards) else { return nil }
        let stamp = String(stem[marker.upperBound...])
        guard stamp.count == 15, let date = Self.formatter.date(from: stamp) else { return nil }
        prefix = String(stem[..<marker.lowerBound])
        timestamp = date
        self.kind = kind
        self.codec = codec
    }

    public var fileName: String { "\(prefix)_backup_\(kind.rawValue)_\(Self.formatter.string(from: timestamp))\(Self.suffix(of: kind, codec: codec))" }
    public var manifestFileName: String { fileName + Self.manifestSuffix }

    static var formatter: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        return formatter
    }

    /// A file-name prefix for `name` (a database name or `BACKUP_PREFIX`): ASCII letters, digits,
    /// `_` and `-` (not first) kept, every other byte written `+XX` (hex). So no `/`, no leading
    /// `-`, no `..`, nothing a shell or ssh quoting refuses; different names give different
    /// prefixes, and the manifest's `database` field maps an archive back to its database.
    public static func safePrefix(_ name: String) -> String {
        var result = ""
        for (index, byte) in name.utf8.enumerated() {
            let keep = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || (byte == 0x2D && index > 0)
            result += keep ? String(UnicodeScalar(byte)) : String(format: "+%02X", byte)
        }
        return result.isEmpty ? "+" : result
    }

    /// `YYYYMMDD_HHMMSS` in UTC, as used in archive and report names.
    public static func stamp(_ date: Date) -> String { formatter.string(from: date) }
}
