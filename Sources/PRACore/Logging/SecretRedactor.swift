import Foundation

/// Replaces secret values (passwords, the Slack webhook URL's token) with `***` in text that
/// leaves the process: stderr, log files, alerts, reports.
///
/// The code never puts a secret into a message on purpose; this is the safety net for the
/// ones a server or a program echoes back.
///
/// The rule for short secrets: a secret of at least ``minimumSubstringLength`` characters is
/// hidden wherever it occurs, even inside a word. A shorter one is hidden only where it stands
/// as a whole token: not preceded or followed by a letter, digit or `_` (`password=ab`,
/// `'ab'`, `u:ab@host`, `... for user ab`). Hiding every occurrence of a one- or
/// two-character string would garble every message and, worse, reveal it: with the password
/// `a`, "d***t***b***se" spells out which letter is secret. Such a secret is named in
/// ``warnings`` (too short to be redacted safely; use a longer one).
public struct SecretRedactor: Sendable {
    /// Variables whose values are secrets (those ``Setting`` declares secret).
    public static let secretVariables = Setting.secrets.map(\.name)

    /// Secrets shorter than this are hidden only as whole tokens (see the type's documentation).
    public static let minimumSubstringLength = 8

    /// The strings to hide, longest first (so a secret containing another is hidden whole).
    public let secrets: [String]

    /// One line per secret shorter than ``minimumSubstringLength``, naming where it comes from
    /// (never the value): it is hidden only as a whole token, and should be made longer.
    public let warnings: [String]

    public init(secrets: [String]) {
        self.init(named: secrets.map { (nil, $0) })
    }

    /// `named`: each secret with the variable it comes from, for the warning.
    init(named: [(name: String?, value: String)]) {
        // Every configured secret, whatever its length (a 3-character password is still a password).
        secrets = Array(Set(named.map(\.value).filter { !$0.isEmpty })).sorted { $0.count > $1.count }
        var warnings: [String] = []
        for (name, value) in named where !value.isEmpty && value.count < Self.minimumSubstringLength {
            let line = "\(name ?? "a configured secret") is too short to be redacted safely (under \(Self.minimumSubstringLength) characters): pra hides it in its messages only where it stands alone (a whole word, key=value, quoted), since hiding every occurrence of so short a string would reveal it; use a longer secret"
            if !warnings.contains(line) { warnings.append(line) }
        }
        self.warnings = warnings
    }

    /// The secrets of `configuration`: the secret variables, the password of `DATABASE_URL`,
    /// and the path of the Slack webhook (its token), which also hides the full URL.
    public init(configuration: Configuration) {
        var secrets: [(name: String?, value: String)] = []
        for name in Self.secretVariables {
            if let value = configuration[name] { secrets.append((name, value)) }
        }
        if let url = configuration[.databaseURL], let components = URLComponents(string: url) {
            if let password = components.password { secrets.append(("the password of DATABASE_URL", password)) }
            for item in components.queryItems ?? [] where item.name == "password" {
                if let value = item.value { secrets.append(("the password of DATABASE_URL", value)) }
            }
        }
        if let webhook = configuration[.slackWebhook], let components = URLComponents(string: webhook), components.path.count > 1 {
            secrets.append(("the path of SLACK_WEBHOOK", components.path))
        }
        self.init(named: secrets)
    }

    /// `text` with every secret replaced by `***` (short ones only as whole tokens).
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = secret.count >= Self.minimumSubstringLength
                ? result.replacingOccurrences(of: secret, with: "***")
                : Self.replacingWholeTokens(secret, in: result)
        }
        return result
    }

    /// `text` with each occurrence of `secret` that is not part of a longer word replaced by `***`.
    static func replacingWholeTokens(_ secret: String, in text: String) -> String {
        var out = ""
        var index = text.startIndex
        while index < text.endIndex, let range = text.range(of: secret, range: index..<text.endIndex) {
            out += text[index..<range.lowerBound]
            let before = range.lowerBound > text.startIndex ? text[text.index(before: range.lowerBound)] : nil
            let after = range.upperBound < text.endIndex ? text[range.upperBound] : nil
            if !isWordCharacter(before) && !isWordCharacter(after) {
                out += "***"
                index = range.upperBound
            } else {
                // Part of a longer word: keep its first character and look again just after it.
                out.append(text[range.lowerBound])
                index = text.index(after: range.lowerBound)
            }
        }
        out += text[index...]
        return out
    }

    private static func isWordCharacter(_ character: Character?) -> Bool {
        guard let character else { return false }
        return character.isLetter || character.isNumber || character == "_"
    }
}
