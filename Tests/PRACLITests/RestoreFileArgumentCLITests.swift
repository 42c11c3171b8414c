import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// restore --file of a directory: one plain sentence naming the path, exit 2.

@Suite("restore --file: one plain sentence", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct RestoreFileArgumentCLITests {
    @Test("restore --file of a directory: one plain sentence naming the path, exit 2")
    func restoreDirectory() throws {
        let directory = TestEnvironment.temporaryDirectory("dirfile")
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory)
        let result = try PraBinary.run(["restore", "--file", directory, "--target-db", "never_created"], environment: environment)
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("\(directory) is a directory, not an archive file"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"))
        let verify = try PraBinary.run(["verify", directory], environment: environment)
        #expect(verify.exitCode == 2)
        #expect(verify.stderr.contains("is a directory"), "\(verify.stderr)")
    }
}
