import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// --verbose prints each setting and its source, never a secret, however short.

@Suite("--verbose never prints a secret", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct VerboseOutputTests {
    @Test("--verbose never prints a secret, however short")
    func verboseHidesSecrets() throws {
        let directory = TestEnvironment.temporaryDirectory("verbose")
        var environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        environment["SMTP_PASSWORD"] = "Q7z"
        environment["PGPASSWORD"] = "W4y"
        let result = try PraBinary.run(["status", "--verbose"], environment: environment)
        #expect(result.stderr.contains("SMTP_PASSWORD=(set, not shown)"), "\(result.stderr)")
        #expect(!result.stderr.contains("Q7z") && !result.stdout.contains("Q7z"))
        #expect(!result.stderr.contains("W4y") && !result.stdout.contains("W4y"))
    }
}
