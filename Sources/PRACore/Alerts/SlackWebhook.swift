import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Posts alerts to a Slack incoming webhook (`SLACK_WEBHOOK`) as a JSON payload.
///
/// The webhook URL's path is its secret: errors name only the scheme and host.
public struct SlackWebhook: AlertChannel {
    public let url: URL
    public var timeout: Double
    public var name: String { "slack" }
    public var server: String { "\(url.scheme ?? "https")://\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? "")" }

    /// - Throws: ``ConfigurationError`` when `url` is not an http(s) URL (without echoing it).
    public init(url: String, timeout: Double) throws(ConfigurationError) {
        guard let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil else {
            throw ConfigurationError("SLACK_WEBHOOK is not an http(s) URL")
        }
        self.url = parsed
        self.timeout = timeout
    }

    public func deliver(_ alert: Alert) throws(AlertError) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.httpBody = alert.slackPayload()
        let response = HTTPExchange(timeout: timeout).send(request)
        guard let status = response.statusCode else {
            throw AlertError(channel: name, server: server, message: response.error ?? "no answer")
        }
        guard (200..<300).contains(status) else {
            let body = String(decoding: response.body.prefix(200), as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
            throw AlertError(channel: name, server: server, message: "HTTP \(status)" + (body.isEmpty ? "" : ": \(body)"))
        }
    }
}
