import Foundation

/// What a successful full backup produced.
public struct BackupResult: Codable, Sendable {
    public var archive: String
    public var manifest: String
    public var database: String
    public var serverVersion: String
    public var startedAt: Date
    public var finishedAt: Date
    public var seconds: Double
    public var compressedBytes: UInt64
    public var uncompressedBytes: UInt64
    public var sha256: String
    public var tableCount: Int
    public var totalRows: Int64
    /// Backups removed by retention after this one succeeded.
    public var deletedByRetention: [String]
    public var warnings: [String]
    /// The tables whose rows pra copied itself over several sessions (`schema.table`, quoted as
    /// in the dump), largest first; empty when pg_dump read every table.
    public var parallelCopies: [String] = []
    /// How many sessions copied them.
    public var copySessions: Int = 0
    /// The verified off-site copy, when `REMOTE_TARGET` is set and the copy succeeded.
    public var remoteCopy: RemoteCopyResult? = nil
    /// Why the off-site copy failed (the local backup is complete all the same).
    public var remoteCopyError: String? = nil

    /// One line for the terminal.
    public var summary: String {
        "backup complete: \((archive as NSString).lastPathComponent) (\(ByteCount.format(compressedBytes)) from \(ByteCount.format(uncompressedBytes)) of SQL, \(tableCount) tables, \(totalRows) rows, \(DurationParser.format(seconds)))"
            + (parallelCopies.isEmpty ? "" : "; the rows of \(parallelCopies.count) large table\(parallelCopies.count == 1 ? "" : "s") copied over \(copySessions) sessions")
    }
}
