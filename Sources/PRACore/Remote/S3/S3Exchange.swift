import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request to an object store, synchronous, with the body of a successful answer
/// streamed to a sink as it arrives (a download never sits whole in memory).
final class S3Exchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// What came back: a status and headers, the body when no sink took it, or the transport error.
    struct Response: Sendable {
        var status: Int?
        var headers: [String: String]
        var body: Data
        var transportError: String?
        /// The sink threw: the transfer was cancelled, this is why.
        var sinkError: String?

        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private let sink: ((Data) throws -> Void)?
    private var response = Response(status: nil, headers: [:], body: Data())
    private var streaming = false

    private init(sink: ((Data) throws -> Void)?) {
        self.sink = sink
    }

    /// Sends `request` (with `body` as the upload) and waits for the whole answer.
    /// - Parameter sink: receives the body of a 2xx answer chunk by chunk; other answers are kept in `body`.
    /// - Parameter bodyFile: the upload read from this file as it goes (never whole in memory); `body` when nil.
    static func send(_ request: URLRequest, body: Data?, bodyFile: URL? = nil, timeout: Double, sink: ((Data) throws -> Void)? = nil) -> Response {
        let exchange = S3Exchange(sink: sink)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: exchange, delegateQueue: queue)
        var request = request
        request.timeoutInterval = timeout
        let task: URLSessionTask
        if let bodyFile {
            // A body stream is read as it is sent (uploadTask(fromFile:) reads the whole file first).
            request.httpBodyStream = InputStream(url: bodyFile)
            task = session.dataTask(with: request)
        } else if let body {
            task = session.uploadTask(with: request, from: body)
        } else {
            task = session.dataTask(with: request)
        }
        task.resume()
        exchange.done.wait()
        session.finishTasksAndInvalidate()
        exchange.lock.lock()
        defer { exchange.lock.unlock() }
        return exchange.response
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.lock()
        if let http = response as? HTTPURLResponse {
            self.response.status = http.statusCode
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { self.response.headers[name] = value }
            }
            streaming = sink != nil && (200..<300).contains(http.statusCode)
        }
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        defer { lock.unlock() }
        guard response.sinkError == nil else { return }
        if streaming, let sink {
            do {
                try sink(data)
            } catch {
                response.sinkError = "\(error)"
                dataTask.cancel()
            }
        } else if response.body.count < 1 << 20 {
            // Error answers are small XML documents; never keep more than 1 MiB of one.
            response.body.append(data)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        if let error, response.sinkError == nil {
            response.transportError = HTTPExchange.describe(error, timeout: task.originalRequest?.timeoutInterval ?? 0)
        }
        lock.unlock()
        done.signal()
    }
}
