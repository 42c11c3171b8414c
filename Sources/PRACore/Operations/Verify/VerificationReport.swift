/// What `pra verify --json` prints: one verdict per archive, the WAL archive's, and whether all were valid.
public struct VerificationReport: Codable, Sendable {
    /// True when every archive was valid.
    public var valid: Bool
    /// One verdict per archive, in the order they were verified.
    public var archives: [VerificationResult]
    /// The WAL archive's verdict, when it was checked (`--all` with a WAL archive, or `--wal`).
    public var wal: WALArchiveVerification?

    /// The report on `archives` (and `wal`); valid when each of them is.
    public init(archives: [VerificationResult], wal: WALArchiveVerification? = nil) {
        self.archives = archives
        self.wal = wal
        valid = archives.allSatisfy(\.valid) && wal?.valid != false
    }
}
