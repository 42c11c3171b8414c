import Foundation

/// What one `pra wal sync` run did, and what still waits to go off-site.
public struct WALSyncResult: Codable, Sendable {
    /// `REMOTE_TARGET/wal`, without secrets.
    public var target: String
    public var copied = 0
    /// Compressed bytes copied.
    public var bytes: UInt64 = 0
    /// Files archived locally and not off-site after the run.
    public var pending = 0
    public var queueBytes: UInt64 = 0
    /// `WAL_REMOTE_QUEUE_LIMIT` in bytes (0: none).
    public var queueLimit: UInt64 = 0
    /// How long the oldest file still waiting has been archived (0: none waiting).
    public var lagSeconds: Double = 0
    /// Why nothing was done (another run holds the lock).
    public var skipped: String?
    public var failures: [String] = []
    /// Off-site WAL files retention deleted (older than the oldest off-site base backup needs).
    public var retentionDeleted: [String] = []
    /// Queue-limit messages and alert delivery warnings.
    public var alerts: [String] = []
    public var seconds: Double = 0

    public init(target: String) {
        self.target = target
    }

    /// One line for the terminal and the log.
    public var summary: String {
        if let skipped { return "wal sync: nothing done, \(skipped)" }
        return "wal sync: copied \(copied) file(s) (\(ByteCount.format(bytes))) to \(target) in \(String(format: "%.1f", seconds)) s; \(pending) waiting (\(ByteCount.format(queueBytes))), off-site lag \(DurationParser.format(lagSeconds))" + (retentionDeleted.isEmpty ? "" : "; retention deleted \(retentionDeleted.count) off-site WAL file(s)")
    }
}
