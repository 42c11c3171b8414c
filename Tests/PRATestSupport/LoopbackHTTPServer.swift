import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 listener on 127.0.0.1 that answers every request with a fixed status,
/// for testing health checks. Stops when deinitialised.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public let port: Int
    private let socketFD: Int32
    private let statusForPath: @Sendable (String) -> Int
    private let lock = NSLock()
    private var paths: [String] = []

    /// - Parameter statusForPath: the status to answer for a request path.
    public init(statusForPath: @escaping @Sendable (String) -> Int) throws {
        self.statusForPath = statusForPath
        socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = socketFD
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard ok else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in serve() }.start()
    }

    deinit {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Paths requested so far.
    public var requestedPaths: [String] {
        lock.lock()
        defer { lock.unlock() }
        return paths
    }

    private func serve() {
        while true {
            let client = accept(socketFD, nil, nil)
            if client < 0 { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(client, &buffer, buffer.count)
            let request = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
            let path = request.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            lock.lock()
            paths.append(path)
            lock.unlock()
            let status = statusForPath(path)
            let body = "{\"status\":\(status)}"
            let response = "HTTP/1.1 \(status) Status\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = response.withCString { write(client, $0, strlen($0)) }
            close(client)
        }
    }
}
