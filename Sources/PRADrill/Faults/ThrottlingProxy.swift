import Foundation
import PRACore
import PRAHarness

#if canImport(Glibc)
import Glibc
#endif

/// A ``NetworkProxy`` on 127.0.0.1 in front of an HTTP server on loopback: for `throttleFor`
/// seconds after it starts, each connection gets `503 SlowDown` (an S3 error document) and is
/// closed; later connections are forwarded unchanged.
final class ThrottlingProxy: Sendable {
    let port: Int
    private let proxy: NetworkProxy

    init(upstreamPort: Int, throttleFor: Double) throws {
        let started = MonotonicClock.now()
        do {
            proxy = try NetworkProxy(upstream: .tcp(host: "127.0.0.1", port: upstreamPort), intercept: { client in
                guard started.elapsed() < throttleFor else { return false }
                Thread { Self.refuse(client) }.start()
                return true
            }, filter: nil)
        } catch {
            throw FaultError(description: "cannot listen on 127.0.0.1: \(error)")
        }
        port = proxy.port
    }

    func stop() {
        proxy.stop()
    }

    static let slowDown: Data = {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate (pra drill: s3-throttling).</Message></Error>"
        return Data("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
    }()

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
}
