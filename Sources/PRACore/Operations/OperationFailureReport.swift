/// What `pra backup --json` and `pra restore --json` print when the operation fails: the
/// stage and the error (and the server's SQLSTATE when it has one).
public struct OperationFailureReport: Codable, Sendable {
    /// Always false: the document of a failure.
    public var ok = false
    /// The stage that failed, e.g. `connect`, `dump`, `load`.
    public var stage: String
    /// What went wrong, in words.
    public var error: String
    /// The server's SQLSTATE, when the failure came from the server.
    public var sqlState: String?

    /// The report of `failure`.
    public init(_ failure: OperationFailure) {
        stage = failure.stage
        error = failure.message
        sqlState = failure.sqlState
    }
}
