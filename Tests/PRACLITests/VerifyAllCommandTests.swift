import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// verify --all lists every database's archives and says whose each is.

@Suite("verify --all: every database's archives, each with its owner", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct VerifyAllCommandTests {
    @Test("verify --all lists every database's archives and says whose each is")
    func verifyAllSaysWhose() throws {
        let first = try TestEnvironment.fixtureDatabase("whose_a", scale: 0.01)
        let second = try TestEnvironment.fixtureDatabase("whose_b", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("whose")
        for database in [first, second] {
            let backup = try PraBinary.run(["backup", "--full", "--quiet"], environment: TestEnvironment.environment(database: database, backupDirectory: directory))
            #expect(backup.exitCode == 0, "\(backup.stderr)")
        }
        let verify = try PraBinary.run(["verify", "--all"], environment: TestEnvironment.environment(database: first, backupDirectory: directory))
        #expect(verify.exitCode == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("[database \(first)]"), "\(verify.stdout)")
        #expect(verify.stdout.contains("[database \(second)]"), "\(verify.stdout)")
    }
}
