import Foundation
import PRACore
import PRAHarness

#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 that answers every connection the same way: an optional
/// greeting on connect (an SMTP banner), or a reply after reading the request (an HTTP
/// status). Drills point alert channels at it to make them fail for real. Stops on ``stop()``.
final class LoopbackResponder: @unchecked Sendable {
    let port: Int
    private let listener: LoopbackListener
    private let greeting: Data?
    private let reply: Data?
    private let lock = NSLock()
    private var connections = 0

    init(greeting: Data?, reply: Data?) throws {
        self.greeting = greeting
        self.reply = reply
        do {
            listener = try LoopbackListener()
        } catch {
            throw FaultError(description: "cannot listen on 127.0.0.1: \(error)")
        }
        port = listener.port
        listener.start(for: self) { owner, client in owner.answer(client) }
    }

    /// How many connections it has answered.
    var connectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections
    }

    func stop() {
        listener.stop()
    }

    private func answer(_ client: Int32) {
        lock.lock()
        connections += 1
        lock.unlock()
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let greeting { Self.send(greeting, to: client) }
        if let reply {
            var buffer = [UInt8](repeating: 0, count: 65536)
            _ = read(client, &buffer, buffer.count)
            Self.send(reply, to: client)
        }
        close(client)
    }

    private static func send(_ data: Data, to fd: Int32) {
        data.withUnsafeBytes { buffer in _ = write(fd, buffer.baseAddress, buffer.count) }
    }

    /// A port on 127.0.0.1 nothing listens on (bound, then released).
    static func closedPort() -> Int {
        LoopbackSocket.freePort() ?? 9
    }
}
