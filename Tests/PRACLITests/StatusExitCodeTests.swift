import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// A configuration error in status exits 3 (UNKNOWN), distinct from every level.

@Suite("status exit codes: UNKNOWN for a configuration error", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct StatusExitCodeTests {
    @Test("a configuration error in status exits 3 (UNKNOWN), distinct from every level")
    func statusConfigurationError() throws {
        let directory = TestEnvironment.temporaryDirectory("status3")
        var environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory)
        environment["RPO_TARGET"] = "abc"
        let result = try PraBinary.run(["status"], environment: environment)
        #expect(result.exitCode == 3, "\(result.stderr)")
        #expect(result.stderr.contains("RPO_TARGET=abc"))
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")

        environment["RPO_TARGET"] = nil
        let file = directory + "/bad.env"
        try Data("RPO_TARGET 1h\n".utf8).write(to: URL(fileURLWithPath: file))
        let malformed = try PraBinary.run(["status", "--env-file", file], environment: environment)
        #expect(malformed.exitCode == 3, "\(malformed.stderr)")
    }
}
