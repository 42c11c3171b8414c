/// A remote-copy step that failed: which target, which file, what the storage or ssh said.
public struct RemoteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The target, without secrets (`/mnt/offsite/pra`, `ssh://pra@vault:22/srv/pra`, `s3://bucket/prefix`).
    public let target: String
    /// What was being done: `upload`, `verify`, `list`, `delete`, `download`, `prepare`.
    public let operation: String
    /// The file concerned, when there is one (for S3: the object key).
    public let file: String?
    public let message: String
    /// The HTTP status an object store answered, when it answered.
    public let httpStatus: Int?
    /// The object store's error code (`AccessDenied`, `NoSuchBucket`, `SlowDown`).
    public let code: String?

    public init(target: String, operation: String, file: String? = nil, message: String, httpStatus: Int? = nil, code: String? = nil) {
        self.target = target
        self.operation = operation
        self.file = file
        self.message = message
        self.httpStatus = httpStatus
        self.code = code
    }

    public var description: String {
        let status = httpStatus.map { "HTTP \($0)\(code.map { " \($0)" } ?? ""): " } ?? code.map { "\($0): " } ?? ""
        return "\(operation)\(file.map { " of \($0)" } ?? "") on \(target) failed: \(status)\(message)"
    }
}
