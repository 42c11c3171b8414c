/// What `pra verify --json` prints: one verdict per archive, the WAL archive's, and whether all were valid.
public struct VerificationReport: Codable, Sendable {
    /// True when every archive was valid.
    public var valid: Bool
    /// One verdict per archive, in the order they were verified.
    public var archives: [VerificationResult]
    /// The WAL archive's verdict, when it was checked (`--all` with a WAL archive, or `--wal`).
    public var wal: WALArchiveVerification?
    /// The off-site copy's WAL and recoverable window, when `--remote` found WAL or base backups off-site.
    public var offSiteWAL: OffSiteWAL?

    /// The report on `archives` (and `wal`, `offSiteWAL`); valid when each of them is.
    public init(archives: [VerificationResult], wal: WALArchiveVerification? = nil, offSiteWAL: OffSiteWAL? = nil) {
        self.archives = archives
        self.wal = wal
        self.offSiteWAL = offSiteWAL
        valid = archives.allSatisfy(\.valid) && wal?.valid != false && offSiteWAL?.valid != false
    }

    /// One line per problem: each invalid archive, the off-site WAL, the WAL archive.
    public var problems: [String] {
        var failures = archives.filter { !$0.valid }.map(\.summary)
        if let offSiteWAL, !offSiteWAL.valid {
            failures.append("off-site WAL: " + (offSiteWAL.corrupt + offSiteWAL.problems).joined(separator: "; "))
        }
        if let wal, !wal.valid {
            failures.append("WAL archive: " + (wal.corrupt + wal.problems).joined(separator: "; "))
        }
        return failures
    }
}
