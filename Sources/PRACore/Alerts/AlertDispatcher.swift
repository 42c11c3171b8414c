import Foundation

/// Sends alerts through every configured channel (`SLACK_WEBHOOK`, `ALERT_EMAIL` + `SMTP_URL`).
///
/// Never throws and never changes a command's result: each failed delivery (or misconfigured
/// channel) comes back as a warning for the command to print and log. Every alert is redacted
/// of the configuration's secrets before it leaves.
public struct AlertDispatcher: Sendable {
    public private(set) var channels: [any AlertChannel] = []
    /// Alert on success too (`ALERT_ON_SUCCESS`, `--alert-on-success`).
    public var alertOnSuccess: Bool
    /// Channel settings that could not be used, as warnings.
    public private(set) var configurationProblems: [String] = []
    let redactor: SecretRedactor

    public init(configuration: Configuration, alertOnSuccess: Bool? = nil) {
        redactor = SecretRedactor(configuration: configuration)
        self.alertOnSuccess = alertOnSuccess ?? configuration.flag(.alertOnSuccess)
        let timeout = (try? configuration.seconds(.alertTimeout)) ?? 10
        if let webhook = configuration[.slackWebhook] {
            do {
                channels.append(try SlackWebhook(url: webhook, timeout: timeout))
            } catch {
                configurationProblems.append("slack alerts are off: \(error)")
            }
        }
        let recipients = configuration.list(.alertEmail)
        if !recipients.isEmpty {
            if let smtp = configuration[.smtpURL] {
                let sender = configuration[.alertEmailFrom] ?? "pra@\(Alert.hostName)"
                do {
                    channels.append(try EmailAlerter(smtpURL: smtp, recipients: recipients, sender: sender, user: configuration[.smtpUser],
                                                     password: configuration[.smtpPassword], caFile: configuration[.smtpCAFile],
                                                     allowPlaintext: configuration.flag(.smtpAllowPlaintext), timeout: timeout))
                } catch {
                    configurationProblems.append("email alerts are off: \(error)")
                }
            } else {
                configurationProblems.append("email alerts are off: ALERT_EMAIL is set but SMTP_URL is not")
            }
        }
    }

    /// True when at least one channel is configured.
    public var isEnabled: Bool { !channels.isEmpty }

    /// Sends `alert` through every channel (a success alert only when ``alertOnSuccess``).
    public func send(_ alert: Alert) -> [AlertDelivery] {
        if alert.kind == .success && !alertOnSuccess { return [] }
        let clean = alert.redacted(redactor)
        return channels.map { channel in
            do throws(AlertError) {
                try channel.deliver(clean)
                return AlertDelivery(channel: channel.name, server: channel.server, delivered: true)
            } catch {
                return AlertDelivery(channel: channel.name, server: channel.server, delivered: false, error: redactor.redact(error.message))
            }
        }
    }

    /// Warnings for the command to print: misconfigured channels, then failed deliveries.
    public func warnings(for deliveries: [AlertDelivery]) -> [String] {
        configurationProblems + deliveries.compactMap(\.warning)
    }

    /// Alerts on a status transition (CRITICAL once, back to OK once), keeping the state in
    /// `BACKUP_DIR`. The state only moves when an alert got through, so an alert that could
    /// not be delivered is tried again at the next run.
    public func statusChecked(_ report: StatusReport, location: String, backupDirectory: String) -> [AlertDelivery] {
        guard isEnabled else { return [] }
        let previous = StatusAlertState.load(directory: backupDirectory)
        guard let kind = StatusAlertState.alertKind(previous: previous, level: report.level) else { return [] }
        let alert = Alert(kind: kind, command: "status", what: kind == .failure ? "status CRITICAL" : "status back to OK",
                          location: location, detail: report.headline, time: report.checkedAt)
        let deliveries = send(alert)
        if deliveries.contains(where: \.delivered) {
            do {
                try StatusAlertState(level: report.level, since: report.checkedAt, headline: report.headline).save(directory: backupDirectory)
            } catch {
                return deliveries + [AlertDelivery(channel: "alert state", server: backupDirectory, delivered: false, error: error.description)]
            }
        }
        return deliveries
    }
}
