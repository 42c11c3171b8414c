/// A failed operation: which stage failed and the typed error underneath.
public struct OperationFailure: Error, CustomStringConvertible, Sendable {
    /// The stage that failed, e.g. `connect`, `dump`, `write`, `load`, `check`.
    public let stage: String
    public let message: String
    /// The server's SQLSTATE, when the failure came from the server.
    public let sqlState: String?
    /// True when the cause is the operator's (bad configuration, invalid arguments): exit code 2.
    public let isUsageError: Bool

    public init(stage: String, message: String, sqlState: String? = nil, isUsageError: Bool = false) {
        self.stage = stage
        self.message = message
        self.sqlState = sqlState
        self.isUsageError = isUsageError
    }

    /// Wraps any error raised during `stage`, keeping its details.
    public init(stage: String, _ error: Error) {
        switch error {
        case let failure as OperationFailure:
            self = failure
        case let failure as ConsumerFailure:
            self.init(stage: stage, failure.underlying)
        case let error as PostgresError:
            self.init(stage: stage, message: error.description, sqlState: error.sqlState)
        case let error as ConfigurationError:
            self.init(stage: stage, message: error.description, isUsageError: true)
        case let error as CustomStringConvertible:
            self.init(stage: stage, message: error.description)
        default:
            self.init(stage: stage, message: "\(error)")
        }
    }

    public var description: String { "\(stage): \(message)" }
}
