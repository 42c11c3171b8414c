import Foundation

/// One alert: what happened, where, the error line, on which host and when.
public struct Alert: Sendable, Codable, Equatable {
    /// Why the alert is sent.
    public enum Kind: String, Sendable, Codable {
        /// A command failed, or status turned CRITICAL.
        case failure
        /// Status is back to OK after a CRITICAL alert.
        case recovery
        /// A command succeeded (sent only with `--alert-on-success` / `ALERT_ON_SUCCESS`).
        case success
    }

    public var kind: Kind
    /// The command: `backup`, `restore`, `status`, `drill`, `remote copy`.
    public var command: String
    /// What happened, e.g. `backup failed`, `status CRITICAL`.
    public var what: String
    /// Where: the database and server, the remote target, the directory.
    public var location: String
    /// The error line an on-call engineer acts on (or the success summary).
    public var detail: String
    public var host: String
    public var time: Date

    public init(kind: Kind, command: String, what: String, location: String, detail: String, host: String = Alert.hostName, time: Date = Date()) {
        self.kind = kind
        self.command = command
        self.what = what
        self.location = location
        self.detail = detail
        self.host = host
        self.time = time
    }

    /// This machine's host name.
    public static var hostName: String { ProcessInfo.processInfo.hostName }

    /// `[pra] backup failed on db01: <detail>`, for a subject or a one-line message.
    public var headline: String {
        "[pra] \(what) on \(host)"
    }

    var timeText: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: time)
    }

    /// Plain text: headline, then one `field: value` line each.
    public var text: String {
        """
        \(headline)

        what:    \(what)
        where:   \(location)
        error:   \(detail)
        host:    \(host)
        time:    \(timeText)
        command: pra \(command)

        """
    }

    /// A Slack incoming-webhook payload: a fallback `text` plus an attachment with one field each.
    public func slackPayload() -> Data {
        let color: String
        switch kind {
        case .failure: color = "danger"
        case .recovery, .success: color = "good"
        }
        let payload = SlackPayload(text: "\(headline): \(detail)", attachments: [
            .init(color: color, fallback: "\(headline): \(detail)", fields: [
                .init(title: "What", value: what, short: true),
                .init(title: "Where", value: location, short: true),
                .init(title: kind == .failure ? "Error" : "Detail", value: detail, short: false),
                .init(title: "Host", value: host, short: true),
                .init(title: "Time", value: timeText, short: true),
            ]),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Plain strings and booleans: encoding cannot fail.
        return try! encoder.encode(payload)
    }

    /// The same alert with every secret of `redactor` hidden.
    public func redacted(_ redactor: SecretRedactor) -> Alert {
        var copy = self
        copy.what = redactor.redact(what)
        copy.location = redactor.redact(location)
        copy.detail = redactor.redact(detail)
        return copy
    }
}

/// The JSON shape Slack's incoming webhooks accept.
struct SlackPayload: Encodable {
    struct Attachment: Encodable {
        struct Field: Encodable {
            var title: String
            var value: String
            var short: Bool
        }

        var color: String
        var fallback: String
        var fields: [Field]
    }

    var text: String
    var attachments: [Attachment]
}
