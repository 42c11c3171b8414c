import Foundation

/// What `pra status` last alerted about, so that CRITICAL is announced once (not every five
/// minutes) and the return to OK once. Kept as `.pra-status-alert.json` in `BACKUP_DIR`.
public struct StatusAlertState: Codable, Sendable, Equatable {
    /// The level last announced: `CRITICAL` after a failure alert, `OK` after the recovery alert.
    public var level: StatusLevel
    public var since: Date
    public var headline: String

    public static let fileName = ".pra-status-alert.json"

    public init(level: StatusLevel, since: Date, headline: String) {
        self.level = level
        self.since = since
        self.headline = headline
    }

    public static func path(directory: String) -> String {
        (directory as NSString).appendingPathComponent(fileName)
    }

    /// The saved state; `nil` when none (or unreadable: then alerting starts afresh).
    public static func load(directory: String) -> StatusAlertState? {
        guard let data = FileManager.default.contents(atPath: path(directory: directory)) else { return nil }
        return try? JSONCoding.decoder.decode(StatusAlertState.self, from: data)
    }

    public func save(directory: String) throws(FileError) {
        if !FileManager.default.fileExists(atPath: directory) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        try DurableFile.write(try! JSONCoding.encoder.encode(self), to: Self.path(directory: directory))
    }

    /// The alert a status of `level` calls for after `previous`: a failure when it turns
    /// CRITICAL, a recovery when it is OK again after a CRITICAL alert, otherwise none
    /// (WARNING neither alerts nor ends a CRITICAL episode).
    public static func alertKind(previous: StatusAlertState?, level: StatusLevel) -> Alert.Kind? {
        switch level {
        case .critical: return previous?.level == .critical ? nil : .failure
        case .ok: return previous?.level == .critical ? .recovery : nil
        case .warning: return nil
        }
    }
}
