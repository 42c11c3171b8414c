import Foundation

/// The last off-site lag that was measured (by `pra wal sync` or `pra status`), kept in
/// `BACKUP_DIR/wal/.offsite-lag.json`: when the store cannot be listed, status still knows
/// how far behind the off-site copy was then, and that it can only have grown since.
public struct OffSiteLagRecord: Codable, Sendable, Equatable {
    public static let fileName = ".offsite-lag.json"

    public var measuredAt: Date
    public var lagSeconds: Double
    public var target: String
    /// Compressed bytes waiting to go off-site then.
    public var queueBytes: UInt64 = 0

    public init(measuredAt: Date, lagSeconds: Double, target: String, queueBytes: UInt64 = 0) {
        self.measuredAt = measuredAt
        self.lagSeconds = lagSeconds
        self.target = target
        self.queueBytes = queueBytes
    }

    /// The most the lag can be at `now` if nothing went off-site since the measurement.
    public func bound(now: Date) -> Double { lagSeconds + max(0, now.timeIntervalSince(measuredAt)) }

    /// The most the queue can hold if nothing went off-site since the measurement: what waited
    /// then plus every file of `local` archived after it.
    public func queueBound(local: [WALArchive.File]) -> UInt64 {
        queueBytes + local.filter { $0.archivedAt > measuredAt }.reduce(0) { $0 + $1.compressedBytes }
    }

    static func path(_ backupDirectory: String) -> String {
        (WALArchive(backupDirectory: backupDirectory).root as NSString).appendingPathComponent(fileName)
    }

    public static func load(backupDirectory: String) -> OffSiteLagRecord? {
        guard let data = FileManager.default.contents(atPath: path(backupDirectory)) else { return nil }
        return try? JSONCoding.decoder.decode(OffSiteLagRecord.self, from: data)
    }

    private enum CodingKeys: String, CodingKey {
        case measuredAt, lagSeconds, target, queueBytes
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        measuredAt = try container.decode(Date.self, forKey: .measuredAt)
        lagSeconds = try container.decode(Double.self, forKey: .lagSeconds)
        target = try container.decode(String.self, forKey: .target)
        queueBytes = try container.decodeIfPresent(UInt64.self, forKey: .queueBytes) ?? 0
    }

    /// Best effort: a record that cannot be written only makes a later outage report vaguer.
    public func save(backupDirectory: String) {
        guard let data = try? JSONCoding.encoder.encode(self) else { return }
        try? DurableFile.write(data, to: Self.path(backupDirectory))
    }
}
