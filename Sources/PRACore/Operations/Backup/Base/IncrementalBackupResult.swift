import Foundation

/// What `pra backup --incremental` made safe.
public struct IncrementalBackupResult: Codable, Sendable {
    public var kind = "incremental"
    /// The last segment archived: the one the WAL switch completed.
    public var segment: String
    public var switchLSN: LogSequenceNumber
    /// Everything committed before this moment is in the WAL archive.
    public var safeBefore: Date
    public var systemIdentifier: String
    /// The newest base backup the archived WAL continues without a gap.
    public var baseBackup: String?
    public var seconds: Double
    public var warnings: [String]

    /// One line for the terminal.
    public var summary: String {
        "incremental backup complete: everything committed before \(RecoverableWindow.format(safeBefore)) is archived (WAL through \(segment), LSN \(switchLSN)\(baseBackup.map { ", restorable from base backup \($0)" } ?? ""), \(DurationParser.format(seconds)))"
    }
}
