import Foundation

/// The link of an incremental base backup to the base backup it holds the changes since (its
/// reference, full or incremental), recorded in its manifest: enough to find the reference and
/// to prove it is the very backup the incremental was taken against.
public struct IncrementalBaseBackupReference: Codable, Sendable, Equatable {
    /// File name of the reference's archive (same directory).
    public var archive: String
    /// SHA-256 of the reference's pra manifest file as it was when the incremental was taken
    /// (which covers the reference's archive and range map SHA-256s).
    public var manifestSHA256: String
    public var timeline: UInt32
    public var startLSN: LogSequenceNumber
    public var endLSN: LogSequenceNumber

    public init(archive: String, manifestSHA256: String, timeline: UInt32, startLSN: LogSequenceNumber, endLSN: LogSequenceNumber) {
        self.archive = archive
        self.manifestSHA256 = manifestSHA256
        self.timeline = timeline
        self.startLSN = startLSN
        self.endLSN = endLSN
    }
}
