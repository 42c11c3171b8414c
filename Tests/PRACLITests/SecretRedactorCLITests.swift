import Foundation
import PRACore
import PRATestSupport
import Testing

/// A secret too short to be hidden wherever it appears is named on stderr (never shown), so
/// the operator knows its redaction is partial; wal push/get stay silent (their stderr is the
/// server's log, and a missing segment must say nothing).
@Suite("a secret too short to redact safely is named, not shown")
struct SecretRedactorCLITests {
    @Test("pra verify warns about a 3-character SMTP_PASSWORD without printing it; wal get stays silent")
    func shortSecretNamed() throws {
        let directory = TestEnvironment.temporaryDirectory("shortsecret")
        let environment = TestEnvironment.baseEnvironment(["BACKUP_DIR": directory, "SMTP_PASSWORD": "zq7"])
        let verify = try PraBinary.run(["verify", "--all"], environment: environment)
        #expect(verify.stderr.contains("SMTP_PASSWORD is too short to be redacted safely"), "\(verify.stderr)")
        #expect(!verify.stderr.contains("zq7") && !verify.stdout.contains("zq7"))
        let get = try PraBinary.run(["wal", "get", "000000010000000000000001", directory + "/RECOVERYXLOG"], environment: environment)
        #expect(get.exitCode == 1)
        #expect(get.stderr.isEmpty, "\(get.stderr)")
    }
}
