import Foundation

/// A failed file-system call, naming the file, the errno and how many bytes got through.
public struct FileError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Operation: String, Sendable, Codable {
        case open, read, write, fsync, rename, remove, lock, stat, mkdir
    }

    public let operation: Operation
    public let path: String
    /// errno.
    public let code: Int32
    /// Bytes written or read before the failure, when that matters.
    public let bytes: UInt64?

    public init(operation: Operation, path: String, code: Int32, bytes: UInt64? = nil) {
        self.operation = operation
        self.path = path
        self.code = code
        self.bytes = bytes
    }

    /// True for "no space left on device" and "disk quota exceeded".
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String {
        if code == ELOOP {
            return "cannot \(operation.rawValue) \(path): it is a symbolic link, and pra does not follow links for its lock, log, report and temporary files; remove it"
        }
        let reason = String(cString: strerror(code))
        let progress = bytes.map { " after \($0) bytes" } ?? ""
        return "cannot \(operation.rawValue) \(path): \(reason)\(progress)"
    }
}
