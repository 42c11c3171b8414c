import Foundation
import PRACore
import PRAHarness

#if canImport(Glibc)
import Glibc
#endif

/// The load balancer an `activate:` step switches: a loopback HTTP endpoint answering 503
/// (traffic still goes to the lost server) until its switch file exists — the step's hook
/// creates it — then 200. `pra activate`'s health check (`APP_HEALTH_URL`) reads it, so the
/// activation verifies the switch for real.
final class ActivateLoadBalancer: @unchecked Sendable {
    let switchFile: String
    private let listener: LoopbackListener

    init(switchFile: String) throws {
        self.switchFile = switchFile
        listener = try LoopbackListener()
        listener.start(for: self) { owner, client in owner.answer(client) }
    }

    var url: String { "http://127.0.0.1:\(listener.port)/health" }

    func stop() {
        listener.stop()
    }

    private func answer(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 8192)
        _ = read(client, &buffer, buffer.count)
        let switched = FileManager.default.fileExists(atPath: switchFile)
        let reply = switched ? "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nswitched\n" : "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 13\r\nConnection: close\r\n\r\nnot switched\n"
        let bytes = Array(reply.utf8)
        _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
        close(client)
    }
}
