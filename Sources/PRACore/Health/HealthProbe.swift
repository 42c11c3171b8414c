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
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        let response = HTTPExchange(timeout: timeout).send(request)
        return Outcome(url: urlString, statusCode: response.statusCode, error: response.error, seconds: started.elapsed())
    }
}
