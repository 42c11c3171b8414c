import Foundation

/// The archive naming contract: `<prefix>_backup_full_<YYYYMMDD>_<HHMMSS>.sql.gz` (UTC).
public struct BackupArchiveName: Sendable, Equatable, Hashable {
    public static let suffix = ".sql.gz"
    public static let manifestSuffix = ".manifest.json"
    public static let verificationSuffix = ".verify.json"

    public let prefix: String
    public let timestamp: Date

    public init(prefix: String, timestamp: Date) {
        self.prefix = prefix
        self.timestamp = timestamp
    }

    /// Parses a file name; `nil` when it does not follow the contract.
    public init?(fileName: String) {
        guard fileName.hasSuffix(Self.suffix) else { return nil }
        let stem = fileName.dropLast(Self.suffix.count)
        guard let marker = stem.range(of: "_backup_full_", options: .backwards) else { return nil }
        let stamp = String(stem[marker.upperBound...])
        guard stamp.count == 15, let date = Self.formatter.date(from: stamp) else { return nil }
        prefix = String(stem[..<marker.lowerBound])
        timestamp = date
    }

    public var fileName: String { "\(prefix)_backup_full_\(Self.formatter.string(from: timestamp))\(Self.suffix)" }
    public var manifestFileName: String { fileName + Self.manifestSuffix }

    static var formatter: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        return formatter
    }

    /// `YYYYMMDD_HHMMSS` in UTC, as used in archive and report names.
    public static func stamp(_ date: Date) -> String { formatter.string(from: date) }
}
