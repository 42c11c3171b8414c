import Foundation
import PRATestSupport
import Testing

@testable import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// Alert failure paths: each is a warning naming the channel, the server and the reason, never a
/// thrown error nor a changed exit code, and nothing is delivered, lost or left behind.
@Suite("alert failure paths", .serialized)
struct AlertFailurePathTests {
    static func alert() -> Alert {
        Alert(kind: .failure, command: "backup", what: "backup failed", location: "pra@db01:5432/akig", detail: "dump: connection lost", host: "db01", time: Date(timeIntervalSince1970: 1_764_000_000))
    }

    @Test("Slack webhook that never answers: the delivery times out after ALERT_TIMEOUT with a warning naming the server")
    func slackTimeout() throws {
        // Bound and listening but never accepting: the request goes out, no answer ever comes.
        let (fd, port) = try LoopbackSocket.listen()
        defer { close(fd) }
        let dispatcher = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: [
            "SLACK_WEBHOOK": "http://127.0.0.1:\(port)/services/T/B/secret-token", "ALERT_TIMEOUT": "1s"]))
        let started = Date()
        let deliveries = dispatcher.send(Self.alert())
        #expect(Date().timeIntervalSince(started) < 30, "the delivery did not give up")
        #expect(deliveries.count == 1 && deliveries[0].delivered == false)
        let warning = try #require(dispatcher.warnings(for: deliveries).first)
        #expect(warning.contains("slack alert via http://127.0.0.1:\(port) failed"), "\(warning)")
        #expect(warning.contains("timed out after 1s"), "\(warning)")
        #expect(!warning.contains("secret-token"))
    }

    @Test("email with curl missing: pra status warns 'curl is not installed', its exit code unchanged",
          .requires(.postgresServer, .root, Prerequisite.executable("/usr/bin/unshare", package: "util-linux")))
    func curlMissing() throws {
        let directory = TestEnvironment.temporaryDirectory("nocurl")
        // A mount namespace of its own where /usr/bin/curl is an empty, non-executable file.
        let empty = directory + "/empty"
        _ = FileManager.default.createFile(atPath: empty, contents: nil, attributes: [.posixPermissions: 0o644])
        try FileManager.default.createDirectory(atPath: directory + "/backups", withIntermediateDirectories: true)
        var environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory + "/backups", extra: [
            "ALERT_EMAIL": "oncall@example.com", "SMTP_URL": "smtp://127.0.0.1:1", "DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        environment["PATH"] = "/usr/bin:/bin"
        let script = "mount --bind \"$1\" /usr/bin/curl && shift && exec \"$@\""
        let outcome = try ExternalProcess(executable: "/usr/bin/unshare", arguments: ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", empty, PraBinary.path] + PraBinary.sealed(["status"]),
                                          environment: environment, timeout: 120).run()
        #expect(outcome.exitCode == 1, "status stays CRITICAL (no backup): \(outcome.standardError)")
        #expect(outcome.standardError.contains("email alert via smtp://127.0.0.1:1 failed: "), "\(outcome.standardError)")
        #expect(outcome.standardError.contains("curl is not installed (apt-get install curl)"), "\(outcome.standardError)")
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "the bind mount leaked out of its namespace")
        #expect(StatusAlertState.load(directory: directory + "/backups") == nil, "an undelivered alert moves no state")
    }

    @Test("SMTP server with a certificate the system does not trust: TLS verification fails, nothing is sent",
          .requires(.aiosmtpd, .openssl, .curl))
    func smtpCertificateNotTrusted() throws {
        let directory = TestEnvironment.temporaryDirectory("smtpuntrusted")
        let certificate = try LoopbackSMTPServer.selfSignedCertificate(in: directory)
        let server = try LoopbackSMTPServer(tlsCertificate: certificate)
        // No SMTP_CA_FILE: the self-signed certificate is checked against the system's CAs.
        let dispatcher = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: [
            "ALERT_EMAIL": "oncall@example.com", "SMTP_URL": server.url, "ALERT_TIMEOUT": "5s"]))
        let deliveries = dispatcher.send(Self.alert())
        #expect(deliveries.first?.delivered == false)
        let warning = try #require(dispatcher.warnings(for: deliveries).first)
        #expect(warning.contains("email alert via smtp://127.0.0.1:\(server.port) failed"), "\(warning)")
        #expect(warning.contains("curl: (60) SSL certificate problem"), "the reason, not curl's advice: \(warning)")
        #expect(server.messages.isEmpty, "a message went out over an unverified connection")
    }

    @Test("alert state that cannot be saved: the alert is delivered, a warning names BACKUP_DIR, and the next run alerts again rather than never")
    func alertStateSaveFails() throws {
        let directory = TestEnvironment.temporaryDirectory("alertstatefail")
        // A non-empty directory where the state file goes.
        try FileManager.default.createDirectory(atPath: StatusAlertState.path(directory: directory) + "/keep", withIntermediateDirectories: true)
        let server = try LoopbackHTTPServer { _ in 200 }
        let dispatcher = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["SLACK_WEBHOOK": server.url("/hook")]))
        let critical = StatusReport(checkedAt: Date(), checks: [.init(name: "backup age", level: .critical, message: "no complete backup")])
        let deliveries = dispatcher.statusChecked(critical, location: "db", backupDirectory: directory)
        #expect(deliveries.first?.delivered == true)
        let warning = try #require(dispatcher.warnings(for: deliveries).first)
        #expect(warning.contains("alert state"), "\(warning)")
        #expect(warning.contains(directory), "\(warning)")
        #expect(StatusAlertState.load(directory: directory) == nil)
        #expect(dispatcher.statusChecked(critical, location: "db", backupDirectory: directory).first?.delivered == true, "without a saved state, CRITICAL is announced again")
        #expect(server.requests.count == 2)
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).contains { $0.hasSuffix(".partial") })
    }
}
