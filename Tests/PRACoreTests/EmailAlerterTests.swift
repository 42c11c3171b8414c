import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// EmailAlerter refuses to authenticate in clear unless SMTP_ALLOW_PLAINTEXT=true.

@Suite("email alerts: SMTP credentials only over TLS", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct EmailAlerterTests {

    @Test("SMTP credentials are never sent without TLS unless SMTP_ALLOW_PLAINTEXT=true",
          .enabled(if: LoopbackSMTPServer.available, "python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)"))
    func smtpCredentialsNeedTLS() throws {
        let server = try LoopbackSMTPServer(credentials: ("pra", "pw-in-clear"))
        let environment = ["ALERT_EMAIL": "oncall@example.com", "SMTP_URL": server.url, "SMTP_USER": "pra", "SMTP_PASSWORD": "pw-in-clear"]
        let dispatcher = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: environment))
        let alert = Alert(kind: .failure, command: "backup", what: "backup failed", location: "here", detail: "x", host: "db01", time: Date())
        let warnings = dispatcher.warnings(for: dispatcher.send(alert))
        #expect(warnings.count == 1, "\(warnings)")
        #expect(server.messages.isEmpty, "the password went out in clear")

        var allowed = environment
        allowed["SMTP_ALLOW_PLAINTEXT"] = "true"
        let plain = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: allowed))
        #expect(plain.warnings(for: plain.send(alert)).isEmpty)
        #expect(server.messages.first?.user == "pra")
    }
}
