/// What `pra backup --json` and `pra restore --json` print when the operation fails: the
/// stage and the error (and the server's SQLSTATE when it has one).
public struct OperationFailureReport: Codable, Sendable {
    /// Always false: the document of a failure.
    public var ok = false
    /// The stage that failed, e.g. `connect`, `dump`, `load`.
    public var stage: String
    public var error: String
    public var sqlState: String?

    /// The report of `failure`.
    public init(_ failure: OperationFailure) {
        stage = failure.stage
        error = failure.message
        sqlState = failure.sqlState
    }
}
