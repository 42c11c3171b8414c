import Crypto
import Foundation

/// Size and SHA-256 of a file, read in 1 MiB chunks.
public struct FileDigest: Sendable, Equatable, CustomStringConvertible {
    public var size: UInt64
    /// Lower-case hex.
    public var sha256: String

    public init(size: UInt64, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    /// Reads `path` through.
    public init(path: String) throws(FileError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(operation: .open, path: path, code: errno) }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: UInt64 = 0
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw FileError(operation: .read, path: path, code: EIO, bytes: size)
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
            size += UInt64(chunk.count)
        }
        self.init(size: size, sha256: hasher.finalize().hex)
    }

    public var description: String { "\(size) bytes, SHA-256 \(sha256)" }
}
