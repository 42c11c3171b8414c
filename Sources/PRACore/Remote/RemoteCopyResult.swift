/// What a remote copy did: the files copied and checked, and what retention removed there.
public struct RemoteCopyResult: Codable, Sendable {
    /// The target, without secrets.
    public var target: String
    public var archive: String
    public var manifest: String
    /// Size and SHA-256 read back from the target, equal to the local archive's.
    public var bytes: UInt64
    public var sha256: String
    public var seconds: Double
    /// Archives retention deleted on the target.
    public var deletedByRetention: [String]
    /// Problems that did not fail the copy (a retention delete that failed).
    public var warnings: [String]

    public var summary: String {
        "remote copy verified: \(archive) on \(target) (\(ByteCount.format(bytes)), SHA-256 matches, \(DurationParser.format(seconds)))"
    }
}
