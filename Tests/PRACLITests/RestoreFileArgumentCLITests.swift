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

@Suite("restore report: a restore test that leaves no record fails", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct RestoreReportCLITests {
    @Test("a logical restore whose report cannot be written exits 1 with one error line naming REPORT_DIR; the restored database stands")
    func unwritableReport() throws {
        let database = try TestEnvironment.fixtureDatabase("reportless", scale: 0.02)
        let directory = TestEnvironment.temporaryDirectory("reportless")
        let blocker = directory + "/not-a-directory"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: ["REPORT_DIR": blocker + "/reports"])
        let backup = try PraBinary.run(["backup"], environment: environment)
        #expect(backup.exitCode == 0, "\(backup.stderr)")
        let target = TestEnvironment.databaseName("reportless_target")
        let restore = try PraBinary.run(["restore", "--latest", "--target-db", target, "--json"], environment: environment)
        #expect(restore.exitCode == 1, "\(restore.stdout) \(restore.stderr)")
        let errors = restore.stderr.split(separator: "\n").filter { $0.hasPrefix("pra: error:") }
        #expect(errors.count == 1, "one error line: \(restore.stderr)")
        #expect(errors.first?.hasPrefix("pra: error: the restore completed, but cannot write the restore report in REPORT_DIR=\(blocker)/reports") == true, "\(restore.stderr)")
        #expect(restore.stdout.contains("\"succeeded\" : true"), "\(restore.stdout)")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM pg_database WHERE datname = '\(target)'", database: "postgres") == "1", "the restored database stands")
    }
}
