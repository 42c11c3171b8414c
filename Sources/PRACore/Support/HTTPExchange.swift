import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One synchronous HTTP request with a hard timeout: health probes (GET) and alert webhooks (POST).
public struct HTTPExchange: Sendable {
    /// What came back: a status and body, or the transport error.
    public struct Response: Sendable {
        public var statusCode: Int?
        public var body: Data
        public var error: String?
        public var seconds: Double
    }

    public var timeout: Double

    public init(timeout: Double) {
        self.timeout = timeout
    }

    /// Sends `request` and waits at most `timeout` (plus a grace of two seconds) for the answer.
    public func send(_ request: URLRequest) -> Response {
        let started = MonotonicClock.now()
        var request = request
        request.timeoutInterval = timeout
        request.cachePolicy = .reloadIgnoringLocalCacheData
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        let task = session.dataTask(with: request) { data, response, error in
            box.set(status: (response as? HTTPURLResponse)?.statusCode, body: data ?? Data(), error: error.map { Self.describe($0, timeout: timeout) })
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 2) == .timedOut {
            task.cancel()
            box.set(status: nil, body: Data(), error: "timed out after \(Int(timeout))s")
        }
        session.finishTasksAndInvalidate()
        let (status, body, error) = box.get()
        return Response(statusCode: status, body: body, error: error, seconds: started.elapsed())
    }

    /// Foundation's transport errors in words ("timed out after 10s"), not "NSURLErrorDomain error -1001".
    static func describe(_ error: Error, timeout: Double) -> String {
        guard let failure = error as? URLError else { return error.localizedDescription }
        switch failure.code {
        case .timedOut: return "timed out after \(Int(timeout))s"
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .networkConnectionLost: return "connection closed before the answer"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "TLS connection failed (URLError \(failure.code.rawValue))"
        default: return "\(failure.localizedDescription) (URLError \(failure.code.rawValue))"
        }
    }
}

/// The first answer of a request, set once from URLSession's queue.
private final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int?
    private var body = Data()
    private var error: String?
    private var set = false

    func set(status: Int?, body: Data, error: String?) {
        lock.lock()
        defer { lock.unlock() }
        guard !set else { return }
        set = true
        self.status = status
        self.body = body
        self.error = error
    }

    func get() -> (Int?, Data, String?) {
        lock.lock()
        defer { lock.unlock() }
        return (status, body, error)
    }
}
