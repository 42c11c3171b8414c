import Crypto
import Foundation

/// Reads a file on a thread of its own, computing its SHA-256 there, and hands the chunks
/// to the caller through a small bounded queue: the caller inflates while this thread reads
/// and hashes, so verifying costs about max(inflate, hash) rather than their sum.
/// Memory: at most `depth` chunks of `chunkSize` bytes wait in the queue.
final class HashingFileReader: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Data] = []
    private var ended = false
    private var cancelled = false
    private var readError: Int32?
    private var digest: String?
    private var total: UInt64 = 0
    private let depth: Int
    private let path: String

    /// Starts reading `descriptor` of `path` (closed by the reader when it is done).
    init(descriptor: Int32, path: String, chunkSize: Int = 1 << 20, depth: Int = 4) {
        self.depth = depth
        self.path = path
        let thread = Thread { [self] in read(descriptor, chunkSize: chunkSize) }
        thread.name = "pra-verify-read"
        thread.start()
    }

    /// The next chunk, `nil` at the end of the file. Throws the read error (errno) if reading failed.
    func next() throws(FileError) -> Data? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !ended { condition.wait() }
        if !queue.isEmpty {
            let chunk = queue.removeFirst()
            condition.signal()
            return chunk
        }
        if let readError { throw FileError(operation: .read, path: path, code: readError, bytes: total) }
        return nil
    }

    /// Bytes read and their SHA-256 (lower-case hex), once ``next()`` returned `nil`.
    var result: (bytes: UInt64, sha256: String) {
        condition.lock()
        defer { condition.unlock() }
        return (total, digest ?? "")
    }

    /// Stops the reader early (the caller gave up); safe to call more than once.
    func cancel() {
        condition.lock()
        cancelled = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    private func read(_ descriptor: Int32, chunkSize: Int) {
        defer { close(descriptor) }
        var hasher = SHA256()
        var bytes: UInt64 = 0
        var failure: Int32?
        while true {
            var chunk = Data(count: chunkSize)
            let count = chunk.withUnsafeMutableBytes { buffer -> Int in
                while true {
                    let got = Foundation.read(descriptor, buffer.baseAddress, chunkSize)
                    if got < 0 && errno == EINTR { continue }
                    return got
                }
            }
            if count < 0 { failure = errno }
            if count <= 0 { break }
            chunk.count = count
            hasher.update(data: chunk)
            bytes += UInt64(count)
            condition.lock()
            while queue.count >= depth && !cancelled { condition.wait() }
            if cancelled {
                condition.unlock()
                return
            }
            queue.append(chunk)
            total = bytes
            condition.broadcast()
            condition.unlock()
        }
        let hex = hasher.finalize().hex
        condition.lock()
        total = bytes
        digest = hex
        readError = failure
        ended = true
        condition.broadcast()
        condition.unlock()
    }
}
