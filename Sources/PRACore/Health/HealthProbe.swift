import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP GET that must answer 2xx: the application's health URL and API endpoints.
public struct HealthProbe: Sendable {
    /// The outcome of one request.
    public struct Outcome: Codable, Sendable, Equatable {
        public var url: String
        public var statusCode: Int?
        public var error: String?
        public var seconds: Double
        public var healthy: Bool { statusCode.map { (200..<300).contains($0) } ?? false }

        public var summary: String {
            if let statusCode { return "\(url) answered HTTP \(statusCode) in \(String(format: "%.0f", seconds * 1000)) ms" }
            return "\(url) did not answer: \(error ?? "unknown error")"
        }
    }

    public var timeout: Double

    public init(timeout: Double = 10) {
        self.timeout = timeout
    }

    public func check(_ urlString: String) -> Outcome {
        let started = MonotonicClock.now()
        guard let url = URL(string: urlString), url.scheme == "http" || url.scheme == "https" else {
            return Outcome(url: urlString, statusCode: nil, error: "not an http(s) URL", seconds: 0)
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "GET"
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        let task = session.dataTask(with: request) { _, response, error in
            box.set(status: (response as? HTTPURLResponse)?.statusCode, error: error?.localizedDescription)
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 2) == .timedOut {
            task.cancel()
            box.set(status: nil, error: "timed out after \(Int(timeout))s")
        }
        session.finishTasksAndInvalidate()
        let (status, error) = box.get()
        return Outcome(url: urlString, statusCode: status, error: error, seconds: started.elapsed())
    }
}

private final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int?
    private var error: String?
    private var set = false

    func set(status: Int?, error: String?) {
        lock.lock()
        defer { lock.unlock() }
        guard !set else { return }
        set = true
        self.status = status
        self.error = error
    }

    func get() -> (Int?, String?) {
        lock.lock()
        defer { lock.unlock() }
        return (status, error)
    }
}
