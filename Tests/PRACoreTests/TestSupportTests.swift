import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PRATestSupport
import Testing

@testable import PRACore

/// The loopback servers the tests use: bound to a port the kernel chose, and stopped (port
/// closed, processes gone) as soon as the test lets go of them.
@Suite("test support: loopback servers stop when released")
struct TestSupportTests {
    @Test("HTTP server: answers while held, stops when released")
    func httpServerStops() throws {
        var port = 0
        do {
            let server = try LoopbackHTTPServer { _ in 204 }
            port = server.port
            #expect(LoopbackSocket.accepts(port: port))
            let response = HTTPExchange(timeout: 5).send(URLRequest(url: URL(string: server.url("/ping"))!))
            #expect(response.statusCode == 204)
            #expect(server.requestedPaths.last == "/ping")
        }
        #expect(!LoopbackSocket.accepts(port: port), "the HTTP server still listens on \(port) after the test released it")
    }

    @Test("SMTP server: its own bound port, closed when released", .requires(.aiosmtpd))
    func smtpServerStops() throws {
        var port = 0
        do {
            let server = try LoopbackSMTPServer()
            port = server.port
            #expect(LoopbackSocket.accepts(port: port))
        }
        #expect(!LoopbackSocket.accepts(port: port), "the SMTP server still listens on \(port)")
    }

    @Test("SMTP server: authenticated deliveries, in clear and after STARTTLS, print no warning in the test output",
          .requires(.aiosmtpd, .openssl, .curl))
    func smtpServerQuiet() throws {
        let directory = TestEnvironment.temporaryDirectory("smtpquiet")
        let message = directory + "/message.txt"
        try "Subject: quiet\r\n\r\nhello\r\n".write(toFile: message, atomically: true, encoding: .utf8)
        let certificate = try LoopbackSMTPServer.selfSignedCertificate(in: directory)
        for tls in [false, true] {
            let server = try LoopbackSMTPServer(credentials: ("pra", "pw"), tlsCertificate: tls ? certificate : nil)
            var arguments = ["-sS", "--url", server.url, "--mail-from", "a@example.com", "--mail-rcpt", "b@example.com", "--user", "pra:pw", "--upload-file", message]
            if tls { arguments += ["--ssl-reqd", "--cacert", certificate.certificate] }
            let outcome = try ExternalProcess(executable: "/usr/bin/curl", arguments: arguments, timeout: 30).run()
            #expect(outcome.exitCode == 0, "\(outcome.standardError)")
            #expect(server.messages.first?.user == "pra")
            #expect(server.messages.first?.tls == tls)
            #expect(server.errorOutput.isEmpty, "tls \(tls): \(server.errorOutput)")
        }
    }

    @Test("SSH server: sessions served on the bound port; socket and sessions gone when released", .requires(.sshd))
    func sshServerStops() throws {
        var port = 0
        do {
            let server = try LoopbackSSHServer()
            port = server.port
            let outcome = try ExternalProcess(executable: "/usr/bin/ssh", arguments: [
                "-p", "\(port)", "-i", server.clientKey, "-o", "UserKnownHostsFile=\(server.knownHosts)", "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "root@127.0.0.1", "echo", "pra-ssh-ok"], timeout: 30).run()
            #expect(outcome.exitCode == 0, "\(outcome.standardError)")
            #expect(outcome.stdoutText.contains("pra-ssh-ok"))
        }
        #expect(!LoopbackSocket.accepts(port: port), "the SSH server still listens on \(port)")
    }
}
