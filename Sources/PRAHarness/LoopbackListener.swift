import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// A listening socket on 127.0.0.1 whose connections are handed, one by one, to a handler on
/// the listener's own thread; ``stop()`` (or `deinit`) closes it once, which ends that thread.
/// The drills' network proxy, their failing alert channels and their throttling S3 proxy are
/// built on it.
public final class LoopbackListener: @unchecked Sendable {
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var stopped = false

    public init(backlog: Int32 = 16) throws(FileError) {
        (fd, port) = try LoopbackSocket.listen(backlog: backlog)
    }

    /// Accepts connections until ``stop()``; `handle` owns each accepted socket (closes it).
    public func start(_ handle: @escaping @Sendable (Int32) -> Void) {
        let fd = self.fd
        Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                handle(client)
            }
        }.start()
    }

    /// ``start(_:)`` for `owner`, held weakly (the owner keeps the listener, not the reverse):
    /// a connection that arrives once the owner is gone is closed.
    public func start<Owner: AnyObject & Sendable>(for owner: Owner, _ handle: @escaping @Sendable (Owner, Int32) -> Void) {
        start { [weak owner] client in
            guard let owner else {
                close(client)
                return
            }
            handle(owner, client)
        }
    }

    /// Stops listening (safe to call twice).
    public func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        guard first else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    deinit { stop() }
}
