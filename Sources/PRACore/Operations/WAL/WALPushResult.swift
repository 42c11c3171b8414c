import Foundation

/// What `pra wal push` did with one file.
public struct WALPushResult: Codable, Sendable {
    public var name: String
    /// The file in the archive (existing when ``alreadyArchived``).
    public var archivedPath: String
    /// The same content was archived before: nothing was written.
    public var alreadyArchived: Bool
    public var uncompressedBytes: UInt64
    public var compressedBytes: UInt64
    public var sha256: String
    public var systemIdentifier: String?
    /// Why the copy archived before under this name (same SHA-256) could not be read back:
    /// it was replaced by this push's checked file. `nil` when nothing was replaced.
    public var replacedDamaged: String? = nil
    /// The off-site copy, when `REMOTE_TARGET` is set.
    public var remoteTarget: String? = nil
    /// `WAL_REMOTE_MODE=async`: what the push did about the off-site copy (started the copier, or found it running).
    public var offSite: String? = nil
    public var seconds: Double = 0

    /// One line for the terminal and the server log.
    public var summary: String {
        if let replacedDamaged {
            return "archived \(name) again: the copy in the archive was damaged (\(replacedDamaged)) and is replaced by a checked one"
        }
        if alreadyArchived { return "\(name) was already archived with the same content (\((archivedPath as NSString).lastPathComponent))" }
        return "archived \(name): \(ByteCount.format(uncompressedBytes)) → \(ByteCount.format(compressedBytes)) in \(String(format: "%.2f", seconds)) s" + (remoteTarget.map { ", copied to \($0)" } ?? "")
    }
}
