import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 listener on 127.0.0.1 that answers every request with a fixed status,
/// for testing health checks and webhooks. The port is the one the kernel gave the bound
/// socket (never guessed). Stops with ``stop()`` or when the test releases it: the serving
/// thread does not keep the server alive.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public let port: Int
    private let state: State

    /// One request as received.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: Data
    }

    /// What the serving thread shares with the server, so that the thread does not retain it.
    final class State: @unchecked Sendable {
        let socketFD: Int32
        let statusForPath: @Sendable (String) -> Int
        let lock = NSLock()
        var captured: [Request] = []
        var stopped = false
        let finished = DispatchSemaphore(value: 0)

        init(socketFD: Int32, statusForPath: @escaping @Sendable (String) -> Int) {
            self.socketFD = socketFD
            self.statusForPath = statusForPath
        }
    }

    /// - Parameter statusForPath: the status to answer for a request path.
    public init(statusForPath: @escaping @Sendable (String) -> Int) throws {
        let (socketFD, port) = try LoopbackSocket.listen()
        self.port = port
        let state = State(socketFD: socketFD, statusForPath: statusForPath)
        self.state = state
        Thread { Self.serve(state) }.start()
    }

    deinit { stop() }

    /// Closes the listening socket and waits for the serving thread to end. Safe to call twice.
    public func stop() {
        state.lock.lock()
        let first = !state.stopped
        state.stopped = true
        state.lock.unlock()
        guard first else { return }
        shutdown(state.socketFD, Int32(SHUT_RDWR))
        state.finished.wait()
        close(state.socketFD)
    }

    /// True once the server no longer accepts connections.
    public var isStopped: Bool {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.stopped
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Requests received so far, with their bodies (for webhook payloads).
    public var requests: [Request] {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.captured
    }

    /// Paths requested so far.
    public var requestedPaths: [String] { requests.map(\.path) }

    private static func serve(_ state: State) {
        defer { state.finished.signal() }
        while true {
            let client = accept(state.socketFD, nil, nil)
            if client < 0 { return }
            let request = readRequest(client)
            state.lock.lock()
            state.captured.append(request)
            state.lock.unlock()
            let status = state.statusForPath(request.path)
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
