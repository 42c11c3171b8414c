import Foundation
import PRACore

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
    private var captured: [Request] = []

    /// One request as received.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: Data
    }

    /// - Parameter statusForPath: the status to answer for a request path.
    public init(statusForPath: @escaping @Sendable (String) -> Int) throws {
        self.statusForPath = statusForPath
        (socketFD, port) = try LoopbackSocket.listen()
        Thread { [self] in serve() }.start()
    }

    deinit {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Requests received so far, with their bodies (for webhook payloads).
    public var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return captured
    }

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
            let request = Self.readRequest(client)
            let path = request.path
            lock.lock()
            paths.append(path)
            captured.append(request)
            lock.unlock()
            let status = statusForPath(path)
            let body = "{\"status\":\(status)}"
            let response = "HTTP/1.1 \(status) Status\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = response.withCString { write(client, $0, strlen($0)) }
            close(client)
        }
    }

    /// Reads the request line, headers and a `Content-Length` body.
    private static func readRequest(_ client: Int32) -> Request {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let separator = Data("\r\n\r\n".utf8)
        var headerEnd: Range<Data.Index>?
        var expected = 0
        while true {
            if let end = headerEnd, data.count - end.upperBound >= expected { break }
            let count = read(client, &buffer, buffer.count)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
            if headerEnd == nil, let end = data.range(of: separator) {
                headerEnd = end
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    expected = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
        let end = headerEnd ?? data.range(of: separator) ?? (data.endIndex..<data.endIndex)
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
        let requestLine = head.first.map { $0.split(separator: " ") } ?? []
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(method: requestLine.first.map(String.init) ?? "", path: requestLine.dropFirst().first.map(String.init) ?? "/",
                       headers: headers, body: Data(data[end.upperBound...]))
    }
}
