import Foundation
import PRACore
import PRAHarness

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on 127.0.0.1 in front of an HTTP server on loopback: for `throttleFor` seconds
/// after it starts, each connection gets `503 SlowDown` (an S3 error document) and is closed;
/// later connections are relayed byte for byte to the upstream port.
final class ThrottlingProxy: @unchecked Sendable {
    let port: Int
    private let listener: LoopbackListener
    private let upstreamPort: Int
    private let started = MonotonicClock.now()
    private let throttleFor: Double
    private let lock = NSLock()
    private var throttledCount = 0

    /// Connections answered `503 SlowDown` so far.
    var throttled: Int {
        lock.lock()
        defer { lock.unlock() }
        return throttledCount
    }

    init(upstreamPort: Int, throttleFor: Double) throws {
        self.upstreamPort = upstreamPort
        self.throttleFor = throttleFor
        do {
            listener = try LoopbackListener(backlog: 64)
        } catch {
            throw FaultError(description: "cannot listen on 127.0.0.1: \(error)")
        }
        port = listener.port
        listener.start(for: self) { owner, client in owner.take(client) }
    }

    func stop() {
        listener.stop()
    }

    static let slowDown: Data = {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate (pra drill: s3-throttling).</Message></Error>"
        return Data("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
    }()

    private func take(_ client: Int32) {
        if started.elapsed() < throttleFor {
            lock.lock()
            throttledCount += 1
            lock.unlock()
            Thread { Self.refuse(client) }.start()
        } else {
            let upstream = upstreamPort
            Thread { Self.relay(client, to: upstream) }.start()
        }
    }

    /// Reads the request head, answers 503 and closes (the request body is not awaited).
    private static func refuse(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        _ = read(client, &buffer, buffer.count)
        slowDown.withUnsafeBytes { _ = write(client, $0.baseAddress, $0.count) }
        shutdown(client, Int32(SHUT_WR))
        // Drain what the client still sends so that it reads the answer rather than a reset.
        while read(client, &buffer, buffer.count) > 0 {}
        close(client)
    }

    private static func relay(_ client: Int32, to port: Int) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard upstream >= 0, connected else {
            close(client)
            if upstream >= 0 { close(upstream) }
            return
        }
        let done = DispatchSemaphore(value: 0)
        Thread { pump(from: upstream, to: client); done.signal() }.start()
        pump(from: client, to: upstream)
        done.wait()
        close(client)
        close(upstream)
    }

    private static func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(source, &buffer, buffer.count)
            if count <= 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + offset, count - offset) }
                if written <= 0 { shutdown(source, Int32(SHUT_RD)); return }
                offset += written
            }
        }
        shutdown(destination, Int32(SHUT_WR))
    }
}
