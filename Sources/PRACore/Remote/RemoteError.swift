/// A remote-copy step that failed: which target, which file, what the storage or ssh said.
public struct RemoteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The target, without secrets (`/mnt/offsite/pra`, `ssh://pra@vault:22/srv/pra`).
    public let target: String
    /// What was being done: `upload`, `verify`, `list`, `delete`, `download`, `prepare`.
    public let operation: String
    /// The file concerned, when there is one.
    public let file: String?
    public let message: String

    public init(target: String, operation: String, file: String? = nil, message: String) {
        self.target = target
        self.operation = operation
        self.file = file
        self.message = message
    }

    public var description: String {
        "\(operation)\(file.map { " of \($0)" } ?? "") on \(target) failed: \(message)"
    }
}
