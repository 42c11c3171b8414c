import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("alerts: Slack webhook and SMTP against real loopback servers", .serialized)
struct AlertTests {
    static let password = "Sm7p-pa55word-never-shown"

    static func alert(detail: String = "dump: pg_dump exited with status 1: connection lost") -> Alert {
        Alert(kind: .failure, command: "backup", what: "backup failed", location: "pra@db01:5432/akig", detail: detail, host: "db01", time: Date(timeIntervalSince1970: 1_764_000_000))
    }

    @Test("Slack: the webhook receives a JSON payload naming what, where, the error, host and time")
    func slackPayload() throws {
        let server = try LoopbackHTTPServer { _ in 200 }
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["SLACK_WEBHOOK": server.url("/services/T000/B000/secret-token"), "PGPASSWORD": Self.password])
        let dispatcher = AlertDispatcher(configuration: configuration)
        let deliveries = dispatcher.send(Self.alert(detail: "login failed with \(Self.password)"))
        #expect(deliveries == [AlertDelivery(channel: "slack", server: "http://127.0.0.1:\(server.port)", delivered: true)])
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/services/T000/B000/secret-token")
        #expect(request.headers["content-type"]?.hasPrefix("application/json") == true)
        let payload = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect((payload["text"] as? String)?.hasPrefix("[pra] backup failed on db01: login failed with ***") == true)
        let fields = ((payload["attachments"] as? [[String: Any]])?.first?["fields"] as? [[String: Any]]) ?? []
        let byTitle = Dictionary(uniqueKeysWithValues: fields.map { ($0["title"] as? String ?? "", $0["value"] as? String ?? "") })
        #expect(byTitle["What"] == "backup failed")
        #expect(byTitle["Where"] == "pra@db01:5432/akig")
        #expect(byTitle["Host"] == "db01")
        #expect(byTitle["Time"] == "2025-11-24T16:00:00Z")
        #expect(!String(decoding: request.body, as: UTF8.self).contains(Self.password))
    }

    @Test("Slack answering 500: a warning naming the server and status, never a thrown error; the token is not shown")
    func slackError() throws {
        let server = try LoopbackHTTPServer { _ in 500 }
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["SLACK_WEBHOOK": server.url("/services/T/B/secret-token")])
        let dispatcher = AlertDispatcher(configuration: configuration)
        let deliveries = dispatcher.send(Self.alert())
        #expect(deliveries.count == 1 && !deliveries[0].delivered)
        let warning = try #require(dispatcher.warnings(for: deliveries).first)
        #expect(warning.contains("slack alert via http://127.0.0.1:\(server.port) failed: HTTP 500"))
        #expect(!warning.contains("secret-token"))
        let unreachable = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["SLACK_WEBHOOK": "http://127.0.0.1:1/services/x", "ALERT_TIMEOUT": "2s"]))
        #expect(unreachable.send(Self.alert()).first?.delivered == false)
    }

    @Test("success alerts only when asked; misconfigured channels are warnings")
    func successAndConfiguration() throws {
        let server = try LoopbackHTTPServer { _ in 200 }
        var success = Self.alert()
        success.kind = .success
        let quiet = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["SLACK_WEBHOOK": server.url("/hook")]))
        #expect(quiet.send(success).isEmpty)
        let asked = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["SLACK_WEBHOOK": server.url("/hook"), "ALERT_ON_SUCCESS": "true"]))
        #expect(asked.send(success).first?.delivered == true)
        let broken = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["ALERT_EMAIL": "ops@example.com", "SLACK_WEBHOOK": "not a url"]))
        #expect(!broken.isEnabled)
        #expect(broken.configurationProblems.count == 2)
        #expect(broken.configurationProblems.contains { $0.contains("SMTP_URL is not") })
    }

    @Test("status alerts: CRITICAL once, not again every run, OK once on recovery; an undelivered alert is retried")
    func statusTransitions() throws {
        let directory = TestEnvironment.temporaryDirectory("alertstate")
        let status = AnswerBox(500)
        let server = try LoopbackHTTPServer { _ in status.value }
        let dispatcher = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["SLACK_WEBHOOK": server.url("/hook")]))
        func report(_ level: StatusLevel) -> StatusReport { StatusReport(checkedAt: Date(), checks: [.init(name: "backup age", level: level, message: "m")]) }

        #expect(dispatcher.statusChecked(report(.critical), location: "db", backupDirectory: directory).first?.delivered == false)
        #expect(StatusAlertState.load(directory: directory) == nil, "not delivered: no state, tried again next time")
        status.value = 200
        #expect(dispatcher.statusChecked(report(.critical), location: "db", backupDirectory: directory).first?.delivered == true)
        #expect(dispatcher.statusChecked(report(.critical), location: "db", backupDirectory: directory).isEmpty, "still CRITICAL: no second alert")
        #expect(dispatcher.statusChecked(report(.warning), location: "db", backupDirectory: directory).isEmpty)
        #expect(dispatcher.statusChecked(report(.ok), location: "db", backupDirectory: directory).first?.delivered == true)
        #expect(dispatcher.statusChecked(report(.ok), location: "db", backupDirectory: directory).isEmpty, "recovery is announced once")
        let bodies = server.requests.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(bodies.count == 3)
        #expect(bodies[1].contains("status CRITICAL"))
        #expect(bodies[2].contains("status back to OK"))
    }

    @Test("email through SMTP with STARTTLS and AUTH: delivered, encrypted, authenticated; the password stays out of the message",
          .requires(.aiosmtpd, .openssl, .curl))
    func emailStartTLS() throws {
        let directory = TestEnvironment.temporaryDirectory("smtptls")
        let certificate = try LoopbackSMTPServer.selfSignedCertificate(in: directory)
        let server = try LoopbackSMTPServer(credentials: ("pra-alerts", Self.password), tlsCertificate: certificate)
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: [
            "ALERT_EMAIL": "oncall@example.com,dba@example.com", "ALERT_EMAIL_FROM": "pra@db01.example.com", "SMTP_URL": server.url,
            "SMTP_USER": "pra-alerts", "SMTP_PASSWORD": Self.password, "SMTP_CA_FILE": certificate.certificate,
        ])
        let dispatcher = AlertDispatcher(configuration: configuration)
        let deliveries = dispatcher.send(Self.alert())
        #expect(deliveries.first?.delivered == true, "\(deliveries)")
        let message = try #require(server.messages.first)
        #expect(message.from == "pra@db01.example.com")
        #expect(message.to == ["oncall@example.com", "dba@example.com"])
        #expect(message.user == "pra-alerts")
        #expect(message.tls, "STARTTLS was offered, so the message went encrypted")
        #expect(message.data.contains("Subject: [pra] backup failed on db01: dump: pg_dump exited with status 1: connection lost"))
        #expect(message.data.contains("where:   pra@db01:5432/akig"))
        #expect(!message.data.contains(Self.password))

        // The temporary credentials file: made in its own directory, gone right after delivery.
        let parent = directory + "/credentials"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        var alerter = try EmailAlerter(smtpURL: server.url, recipients: ["oncall@example.com"], sender: "pra@db01.example.com", user: "pra-alerts", password: Self.password, caFile: certificate.certificate)
        alerter.credentialsParent = parent
        try alerter.deliver(Self.alert())
        #expect(server.messages.count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty, "the temporary credentials file is removed right after delivery")
        alerter.credentialsParent = directory + "/missing"
        let unwritable = try #require(throws: AlertError.self) { try alerter.deliver(Self.alert()) }
        #expect(unwritable.description.contains("cannot write the temporary credentials file"), "\(unwritable)")
        #expect(!unwritable.description.contains(Self.password))
        #expect(server.messages.count == 2, "nothing sent without credentials")
    }

    @Test("SMTP refusing the recipient, a wrong password, no server: warnings with the server's answer",
          .requires(.aiosmtpd, .curl))
    func emailFailures() throws {
        let refusing = try LoopbackSMTPServer(refuseRecipients: true)
        let refused = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["ALERT_EMAIL": "oncall@example.com", "SMTP_URL": refusing.url]))
        let warning = try #require(refused.warnings(for: refused.send(Self.alert())).first)
        #expect(warning.contains("email alert via smtp://127.0.0.1:\(refusing.port) failed"))
        #expect(warning.contains("550"), "\(warning)")

        let authenticating = try LoopbackSMTPServer(credentials: ("pra", "right-password"))
        let wrong = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: [
            "ALERT_EMAIL": "oncall@example.com", "SMTP_URL": authenticating.url, "SMTP_USER": "pra", "SMTP_PASSWORD": Self.password]))
        let denied = try #require(wrong.warnings(for: wrong.send(Self.alert())).first)
        #expect(!denied.contains(Self.password))
        #expect(authenticating.messages.isEmpty)

        let nothing = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["ALERT_EMAIL": "oncall@example.com", "SMTP_URL": "smtp://127.0.0.1:1", "ALERT_TIMEOUT": "2s"]))
        #expect(nothing.send(Self.alert()).first?.delivered == false)
    }
}

/// The status a test server answers, changeable while it runs.
final class AnswerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int

    init(_ value: Int) { stored = value }

    var value: Int {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
