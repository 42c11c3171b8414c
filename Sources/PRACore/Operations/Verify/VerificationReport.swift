/// What `pra verify --json` prints: one verdict per archive and whether all were valid.
public struct VerificationReport: Codable, Sendable {
    /// True when every archive was valid.
    public var valid: Bool
    /// One verdict per archive, in the order they were verified.
    public var archives: [VerificationResult]

    /// The report on `archives`; valid when each of them is.
    public init(archives: [VerificationResult]) {
        self.archives = archives
        valid = archives.allSatisfy(\.valid)
    }
}
