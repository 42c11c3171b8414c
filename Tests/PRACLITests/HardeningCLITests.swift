import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

/// Issue 9 through the executable: exit codes, one clear stderr line, nothing leaked.
@Suite("pra executable: hardening", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct HardeningCLITests {
    @Test("row 10: a configuration error in status exits 3 (UNKNOWN), distinct from every level")
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

    @Test("row 12: cluster down refuses a crafted pra-cluster.json naming another directory")
    func clusterDownCrafted() throws {
        let bystander = TestEnvironment.temporaryDirectory("bystander")
        try Data("data\n".utf8).write(to: URL(fileURLWithPath: bystander + "/file"))
        let crafted = TestEnvironment.temporaryDirectory("crafted")
        let state = ScratchCluster.State(directory: bystander, port: 5999, binDirectory: "/usr/bin", runAsUser: nil, token: nil)
        try JSONCoding.encoder.encode(state).write(to: URL(fileURLWithPath: crafted + "/pra-cluster.json"))
        let result = try PraBinary.run(["cluster", "down", "--dir", crafted], environment: ProcessInfo.processInfo.environment)
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("names another directory"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: bystander + "/file"))
        #expect(FileManager.default.fileExists(atPath: crafted + "/pra-cluster.json"))
    }

    @Test("row 15: --verbose never prints a secret, however short")
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

    @Test("row 17: restore --file of a directory: one plain sentence naming the path, exit 2")
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

    @Test("row 1: verify --all lists every database's archives and says whose each is")
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
