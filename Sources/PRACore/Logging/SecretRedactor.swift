import Foundation

/// Replaces secret values (passwords, the Slack webhook URL's token) with `***` in text that
/// leaves the process: stderr, log files, alerts, reports.
///
/// The code never puts a secret into a message on purpose; this is the safety net for the
/// ones a server or a program echoes back.
public struct SecretRedactor: Sendable {
    /// Variables whose values are secrets.
    public static let secretVariables = ["PGPASSWORD", "SMTP_PASSWORD", "SLACK_WEBHOOK", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]

    /// The strings to hide, longest first (so a secret containing another is hidden whole).
    public let secrets: [String]

    public init(secrets: [String]) {
        // Every configured secret, whatever its length (a 3-character password is still a password).
        self.secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    /// The secrets of `configuration`: the secret variables, the password of `DATABASE_URL`,
    /// and the path of the Slack webhook (its token), which also hides the full URL.
    public init(configuration: Configuration) {
        var secrets: [String] = []
        for name in Self.secretVariables {
            if let value = configuration[name] { secrets.append(value) }
        }
        if let url = configuration["DATABASE_URL"], let components = URLComponents(string: url) {
            if let password = components.password { secrets.append(password) }
            for item in components.queryItems ?? [] where item.name == "password" {
                if let value = item.value { secrets.append(value) }
            }
        }
        if let webhook = configuration["SLACK_WEBHOOK"], let components = URLComponents(string: webhook), components.path.count > 1 {
            secrets.append(components.path)
        }
        self.init(secrets: secrets)
    }

    /// `text` with every secret replaced by `***`.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "***")
        }
        return result
    }
}
