import Crypto
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Signed requests to one bucket of an S3-compatible store, retried when the store is
/// throttling or failing.
///
/// Retried: transport errors (refused, reset, timed out), HTTP 5xx (503 `SlowDown` included),
/// 429 and 400 `RequestTimeout`: `maxRetries` more attempts (default 4, `S3_MAX_RETRIES`), after
/// 0.5 s, 1 s, 2 s, 4 s... (capped at 8 s). Every other answer is final: an access or
/// existence problem does not go away by asking again.
public struct S3Client: Sendable {
    /// `https://s3.eu-west-3.amazonaws.com` or `http://127.0.0.1:8333`: scheme, host and port only.
    public var endpoint: URL
    public var bucket: String
    /// `true`: `https://endpoint/bucket/key`; `false`: `https://bucket.endpoint/key` (virtual host).
    public var pathStyle: Bool
    public var signer: SigV4Signer
    public var maxRetries: Int
    /// Seconds before a request with no progress is abandoned.
    public var timeout: Double
    /// The first wait between attempts; doubled each time.
    public var initialBackoff: Double = 0.5

    public init(endpoint: URL, bucket: String, pathStyle: Bool, signer: SigV4Signer, maxRetries: Int = 4, timeout: Double = 60) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.pathStyle = pathStyle
        self.signer = signer
        self.maxRetries = maxRetries
        self.timeout = timeout
    }

    /// The answer to a request that got one (any status).
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        public var attempts: Int

        public func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    /// What went wrong, before the store knows which operation and file to name.
    public struct Failure: Error, CustomStringConvertible {
        public var status: Int?
        public var code: String?
        public var message: String
        public var description: String { "\(status.map { "HTTP \($0) " } ?? "")\(code.map { "\($0): " } ?? "")\(message)" }
    }

    /// The endpoint for messages: scheme, host and port, never a `user:password@` part.
    var endpointDescription: String {
        "\(endpoint.scheme ?? "https")://\(endpoint.host ?? "")\(endpoint.port.map { ":\($0)" } ?? "")"
    }

    var hostHeader: String {
        let host = endpoint.host ?? "localhost"
        let port = endpoint.port.map { ":\($0)" } ?? ""
        return pathStyle ? host + port : "\(bucket).\(host)\(port)"
    }

    /// `/bucket/key` (path style) or `/key`.
    func path(for key: String?) -> String {
        let base = pathStyle ? "/\(bucket)" : ""
        guard let key else { return pathStyle ? base : "/" }
        return "\(base)/\(key)"
    }

    /// Sends one request, retrying as documented above.
    /// - Parameters:
    ///   - body: a small upload (XML documents); its SHA-256 is signed.
    ///   - file: an upload streamed from a file, with its SHA-256 (hex) and size, known beforehand.
    ///   - sink: receives a 2xx body as it streams; `restart` is called before a retry re-sends it.
    ///   - accept: statuses that are answers rather than failures (2xx always are).
    public func send(_ method: String, key: String?, query: [(String, String)] = [], headers: [String: String] = [:], body: Data? = nil,
              file: (url: URL, sha256: String, size: UInt64)? = nil,
              sink: ((Data) throws -> Void)? = nil, restart: (() throws -> Void)? = nil, accept: Set<Int> = []) throws(Failure) -> Answer {
        let payloadHash = file?.sha256 ?? body.map { SHA256.hash(data: $0).hex } ?? SigV4Signer.emptyPayloadHash
        var attempt = 0
        while true {
            attempt += 1
            if attempt > 1, let restart {
                do { try restart() } catch { throw Failure(status: nil, code: nil, message: "\(error)") }
            }
            let outcome = once(method, key: key, query: query, headers: headers, body: body, file: file, payloadHash: payloadHash, sink: sink)
            switch outcome {
            case .success(var answer):
                if (200..<300).contains(answer.status) || accept.contains(answer.status) {
                    answer.attempts = attempt
                    return answer
                }
                let (code, message) = Self.parseError(answer.body)
                let failure = Failure(status: answer.status, code: code ?? Self.defaultCode(answer.status), message: Self.explain(code: code, message: message, status: answer.status, attempts: attempt))
                guard Self.isRetryable(status: answer.status, code: code), attempt <= maxRetries else { throw failure }
            case .failure(let failure):
                guard failure.status == nil, attempt <= maxRetries else {
                    throw Failure(status: failure.status, code: failure.code, message: failure.message + (attempt > 1 ? " (after \(attempt) attempts)" : ""))
                }
            }
            Thread.sleep(forTimeInterval: min(8, initialBackoff * pow(2, Double(attempt - 1))))
        }
    }

    private func once(_ method: String, key: String?, query: [(String, String)], headers: [String: String], body: Data?, file: (url: URL, sha256: String, size: UInt64)?,
                      payloadHash: String, sink: ((Data) throws -> Void)?) -> Result<Answer, Failure> {
        var toSign = headers
        toSign["Host"] = hostHeader
        toSign["x-amz-content-sha256"] = payloadHash
        let path = path(for: key)
        let signed = signer.sign(method: method, path: path, query: query, headers: toSign, payloadHash: payloadHash, date: Date())
        var components = URLComponents()
        components.scheme = endpoint.scheme
        components.host = pathStyle ? endpoint.host : "\(bucket).\(endpoint.host ?? "")"
        components.port = endpoint.port
        components.percentEncodedPath = SigV4Signer.encodePath(path)
        let queryText = SigV4Signer.canonicalQuery(query)
        if !queryText.isEmpty { components.percentEncodedQuery = queryText }
        guard let url = components.url else {
            return .failure(Failure(status: nil, code: nil, message: "cannot form a URL for \(path)"))
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in signed.headers where name.caseInsensitiveCompare("Host") != .orderedSame {
            request.setValue(value, forHTTPHeaderField: name)
        }
        if let file {
            // S3 refuses a PUT without a length (no chunked uploads).
            request.setValue(String(file.size), forHTTPHeaderField: "Content-Length")
        } else if body == nil && (method == "PUT" || method == "POST") {
            request.httpBody = Data()
        }
        let response = S3Exchange.send(request, body: body, bodyFile: file?.url, timeout: timeout, sink: sink)
        if let sinkError = response.sinkError {
            // Writing what came down failed locally: not the store's fault, never retried.
            return .failure(Failure(status: response.status ?? 0, code: nil, message: sinkError))
        }
        guard let status = response.status, response.transportError == nil || status == 0 else {
            return .failure(Failure(status: nil, code: nil, message: "\(endpointDescription): \(response.transportError ?? "no answer")"))
        }
        return .success(Answer(status: status, headers: response.headers, body: response.body, attempts: 1))
    }

    static func isRetryable(status: Int, code: String?) -> Bool {
        status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout" || code == "InternalError"
    }

    /// HEAD answers carry no body: the usual code for the status.
    static func defaultCode(_ status: Int) -> String? {
        switch status {
        case 403: return "AccessDenied"
        case 404: return "NotFound"
        case 503: return "SlowDown"
        default: return nil
        }
    }

    static func explain(code: String?, message: String?, status: Int, attempts: Int) -> String {
        var text = message ?? HTTPURLResponse.localizedString(forStatusCode: status)
        switch code {
        case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
            text += " (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile, and the IAM permissions listed in docs/operations.md)"
        case "NoSuchBucket":
            text += " (create the bucket, or fix REMOTE_TARGET)"
        default: break
        }
        if attempts > 1 { text += " (after \(attempts) attempts)" }
        return text
    }

    /// `<Error><Code>..</Code><Message>..</Message></Error>` → (code, message).
    static func parseError(_ body: Data) -> (String?, String?) {
        let text = String(decoding: body, as: UTF8.self)
        return (element("Code", in: text), element("Message", in: text))
    }

    /// The text of the first `<name>` element of a small XML document, entities decoded.
    public static func element(_ name: String, in text: String) -> String? {
        elements(name, in: text).first
    }

    /// The texts of every `<name>` element, in order.
    public static func elements(_ name: String, in text: String) -> [String] {
        var values: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest.range(of: "</\(name)>", range: open.upperBound..<rest.endIndex) {
            values.append(unescape(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return values
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#34;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }
}
