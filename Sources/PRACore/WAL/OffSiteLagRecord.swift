import Foundation

/// The last off-site lag that was measured (by `pra wal sync` or `pra status`), kept in
/// `BACKUP_DIR/wal/.offsite-lag.json`: when the store cannot be listed, status still knows
/// how far behind the off-site copy was then, and that it can only have grown since.
public struct OffSiteLagRecord: Codable, Sendable, Equatable {
    public static let fileName = ".offsite-lag.json"

    public var measuredAt: Date
    public var lagSeconds: Double
    public var target: String

    public init(measuredAt: Date, lagSeconds: Double, target: String) {
        self.measuredAt = measuredAt
        self.lagSeconds = lagSeconds
        self.target = target
    }

    /// The most the lag can be at `now` if nothing went off-site since the measurement.
    public func bound(now: Date) -> Double { lagSeconds + max(0, now.timeIntervalSince(measuredAt)) }

    static func path(_ backupDirectory: String) -> String {
        (WALArchive(backupDirectory: backupDirectory).root as NSString).appendingPathComponent(fileName)
    }

    public static func load(backupDirectory: String) -> OffSiteLagRecord? {
        guard let data = FileManager.default.contents(atPath: path(backupDirectory)) else { return nil }
        return try? JSONCoding.decoder.decode(OffSiteLagRecord.self, from: data)
    }

    /// Best effort: a record that cannot be written only makes a later outage report vaguer.
    public func save(backupDirectory: String) {
        guard let data = try? JSONCoding.encoder.encode(self) else { return }
        try? DurableFile.write(data, to: Self.path(backupDirectory))
    }
}
