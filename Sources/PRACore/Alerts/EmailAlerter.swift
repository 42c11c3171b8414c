import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Sends alerts by email through an SMTP server (`SMTP_URL`), using the system's `curl`
/// (Debian package `curl`) with an argument array.
///
/// - `smtp://host[:port]`: STARTTLS when the server offers it (`curl --ssl`), plain otherwise;
///   with credentials (`SMTP_USER`) STARTTLS is required (`--ssl-reqd`) unless
///   `SMTP_ALLOW_PLAINTEXT=true`;
///   `smtps://host[:port]`: TLS from the first byte.
/// - Authentication only when `SMTP_USER` is set. The password never goes into curl's
///   arguments: it is written to a netrc file (mode 600, in a private temporary directory,
///   removed right after, and on interrupt) that curl reads with `--netrc-file`.
public struct EmailAlerter: AlertChannel {
    public let smtpURL: URL
    public var recipients: [String]
    public var sender: String
    public var user: String?
    public var password: String?
    public var caFile: String?
    /// `SMTP_ALLOW_PLAINTEXT=true`: authenticate even when the server offers no TLS.
    public var allowPlaintext: Bool
    public var timeout: Double
    /// Where the private directory holding the temporary netrc file is made.
    public var credentialsParent = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    public var name: String { "email" }
    public var server: String { "\(smtpURL.scheme ?? "smtp")://\(smtpURL.host ?? "?")\(smtpURL.port.map { ":\($0)" } ?? "")" }

    public init(smtpURL: String, recipients: [String], sender: String, user: String? = nil, password: String? = nil, caFile: String? = nil, allowPlaintext: Bool = false, timeout: Double = 10) throws(ConfigurationError) {
        guard let url = URL(string: smtpURL), url.scheme == "smtp" || url.scheme == "smtps", let host = url.host, !host.isEmpty else {
            throw ConfigurationError("SMTP_URL=\(smtpURL) is not smtp://host[:port] or smtps://host[:port]")
        }
        guard url.user == nil && url.password == nil else {
            throw ConfigurationError("SMTP_URL must not hold credentials: set SMTP_USER and SMTP_PASSWORD instead")
        }
        for address in recipients + [sender] where !Self.isAddress(address) {
            throw ConfigurationError("\(address) is not an email address (ALERT_EMAIL, ALERT_EMAIL_FROM)")
        }
        guard !recipients.isEmpty else { throw ConfigurationError("ALERT_EMAIL names no address") }
        self.smtpURL = url
        self.recipients = recipients
        self.sender = sender
        self.user = user
        self.password = password
        self.caFile = caFile
        self.allowPlaintext = allowPlaintext
        self.timeout = timeout
    }

    /// One address, no display name, nothing that could break a header or an SMTP command.
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && text.allSatisfy { $0.isASCII && !$0.isWhitespace && !"<>(),;:\"[]\\".contains($0) }
    }

    public func deliver(_ alert: Alert) throws(AlertError) {
        let curl: String
        do {
            curl = try SystemProgram.locate("curl", package: "curl")
        } catch {
            throw AlertError(channel: name, server: server, message: error.description)
        }
        var arguments = ["--silent", "--show-error", "--url", server,
                         "--connect-timeout", String(Int(max(1, timeout))), "--max-time", String(Int(max(1, timeout * 3))),
                         "--mail-from", sender]
        for recipient in recipients { arguments += ["--mail-rcpt", recipient] }
        if smtpURL.scheme == "smtp" {
            // Credentials never cross the network in clear: STARTTLS is required when
            // authenticating (curl gives up before AUTH), unless SMTP_ALLOW_PLAINTEXT=true.
            arguments.append(user != nil && !allowPlaintext ? "--ssl-reqd" : "--ssl")
        }
        if let caFile { arguments += ["--cacert", caFile] }
        arguments += ["--upload-file", "-"]

        var credentials: NetrcFile?
        if let user {
            do {
                credentials = try NetrcFile(host: smtpURL.host ?? "", user: user, password: password ?? "", parent: credentialsParent)
            } catch {
                throw AlertError(channel: name, server: server, message: "cannot write the temporary credentials file: \(error)")
            }
            arguments += ["--netrc-file", credentials!.path]
        }
        defer { credentials?.remove() }

        let message = Data(message(for: alert).utf8)
        let process = ExternalProcess(executable: curl, arguments: arguments, environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], timeout: timeout * 3 + 5)
        let outcome: ExternalProcess.Outcome
        do {
            outcome = try process.run { stdin in
                try message.withUnsafeBytes { buffer in _ = try stdin.write(buffer) }
            }
        } catch {
            throw AlertError(channel: name, server: server, message: "\(error)")
        }
        guard outcome.succeeded else {
            // curl's own error line ("curl: (60) SSL certificate problem: ..."), not the advice it prints after it.
            let curlLine = outcome.standardError.split(separator: "\n").first { $0.hasPrefix("curl: (") }.map(String.init)
            let line = curlLine ?? ProcessError(kind: outcome.timedOut ? .timedOut : .failed, program: "curl", exitCode: outcome.exitCode, signal: outcome.signal, stderr: outcome.standardError).stderrSummary
            throw AlertError(channel: name, server: server, message: line ?? "curl exited with status \(outcome.exitCode ?? -1)")
        }
    }

    /// An RFC 5322 message: headers (no line breaks can get in), a blank line, the text.
    func message(for alert: Alert) -> String {
        let dateFormatter = DateFormatter()
        dateFormatter.locale = Locale(identifier: "en_US_POSIX")
        dateFormatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        func header(_ text: String) -> String { text.split(whereSeparator: \.isNewline).joined(separator: " ") }
        let subject = header(alert.headline + ": " + alert.detail)
        // curl does the SMTP dot-stuffing.
        let body = alert.text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
        return [
            "From: pra <\(sender)>",
            "To: " + recipients.joined(separator: ", "),
            "Subject: " + (subject.count > 200 ? String(subject.prefix(197)) + "..." : subject),
            "Date: " + dateFormatter.string(from: alert.time),
            "Message-ID: <\(UUID().uuidString.lowercased())@\(header(alert.host))>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "X-PRA-Kind: \(alert.kind.rawValue)",
            "",
            body,
        ].joined(separator: "\r\n")
    }
}

/// A netrc file holding one SMTP credential for curl, in a fresh 700 directory, mode 600.
private final class NetrcFile: @unchecked Sendable {
    let directory: String
    let path: String
    private var token: Int?

    init(host: String, user: String, password: String, parent: String) throws(FileError) {
        var template = Array("\(parent)/pra-smtp-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FileError(operation: .mkdir, path: "\(parent)/pra-smtp-XXXXXX", code: errno) }
        directory = String(cString: made)
        path = directory + "/netrc"
        let dir = directory
        token = InterruptCleanup.shared.register { try? FileManager.default.removeItem(atPath: dir) }
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let text = "machine \(host) login \(quoted(user)) password \(quoted(password))\n"
        try DurableFile.write(Data(text.utf8), to: path, permissions: 0o600)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
        if let token { InterruptCleanup.shared.unregister(token) }
        token = nil
    }

    deinit { remove() }
}
