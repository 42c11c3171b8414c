import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An off-site archive read as it arrives, with no local copy: `pra restore --pitr` verifies
/// and extracts an off-site base backup straight from the store.
///
/// A directory target is read in place. An S3 object (`GET`) or an ssh file (`ssh cat`) is
/// transferred by a background thread into one end of a local socket pair; the reader reads
/// the other end (``handle``) and sees end-of-file when the object ends, or where the transfer
/// broke. Nothing read is trusted: the reader checks every byte against the manifest, and
/// ``finish()`` says whether the transfer itself failed (so a broken download is not taken for
/// a damaged backup). S3 is read in ranges, each retried on its own (`S3_MAX_RETRIES`); an ssh
/// transfer that breaks cannot resume into a running extraction and fails.
public final class RemoteArchiveStream: @unchecked Sendable {
    /// The object's bytes, in order.
    public let handle: FileHandle
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var failure: RemoteError?
    private let threaded: Bool
    private let reader = ReaderState()

    /// Whether the reader closed its end before the object ended: it stopped reading on a
    /// verdict of its own (damaged data), so the writer's "broken pipe" is no transfer failure.
    final class ReaderState: @unchecked Sendable {
        private let lock = NSLock()
        private var gone = false
        var isGone: Bool { lock.lock(); defer { lock.unlock() }; return gone }
        func markGone() { lock.lock(); gone = true; lock.unlock() }
    }

    private init(handle: FileHandle, threaded: Bool) {
        self.handle = handle
        self.threaded = threaded
    }

    /// Starts reading `name` from `store`.
    public static func open(_ name: String, on store: any RemoteStore) throws(RemoteError) -> RemoteArchiveStream {
        if let path = store.localPath(of: name) {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw RemoteError(target: store.description, operation: "download", file: name, message: FileError(operation: .open, path: path, code: errno).description)
            }
            return RemoteArchiveStream(handle: handle, threaded: false)
        }
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw RemoteError(target: store.description, operation: "download", file: name, message: "cannot create a socket pair: \(String(cString: strerror(errno)))")
        }
        let stream = RemoteArchiveStream(handle: FileHandle(fileDescriptor: pair[0], closeOnDealloc: true), threaded: true)
        let writer = pair[1]
        let target = store.description
        let thread = Thread {
            do {
                try store.stream(name) { chunk in try send(chunk, to: writer, reader: stream.reader) }
            } catch where stream.reader.isGone {
                // The reader stopped early and judges the archive itself (see ReaderState).
            } catch {
                stream.lock.lock()
                stream.failure = error as? RemoteError ?? RemoteError(target: target, operation: "download", file: name, message: "\(error)")
                stream.lock.unlock()
            }
            close(writer)
            stream.done.signal()
        }
        thread.start()
        return stream
    }

    /// Waits for the transfer to end (closing the reading end first, so a reader that stopped
    /// early never leaves the writer blocked); returns why the transfer failed, `nil` when it
    /// delivered the whole object.
    public func finish() -> RemoteError? {
        try? handle.close()
        guard threaded else { return nil }
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Writes all of `bytes` to the socket `fd` (no SIGPIPE: a reader gone is an error, and is
    /// noted in `reader`).
    static func send(_ bytes: UnsafeRawBufferPointer, to fd: Int32, reader: ReaderState) throws(FileError) {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EPIPE || errno == ECONNRESET) { reader.markGone() }
            guard count > 0 else { throw FileError(operation: .write, path: "the extraction's input", code: errno) }
            offset += count
        }
    }
}
