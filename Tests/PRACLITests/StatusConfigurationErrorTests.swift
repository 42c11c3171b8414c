import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// `pra status` with nothing configured, or with a backup directory that does not exist: a
/// configuration error (exit 3, UNKNOWN) with the one-line fix verify and restore give, never
/// a CRITICAL about a default host or the free space of a directory that is not there.
@Suite("status: configuration errors exit 3 with the fix")
struct StatusConfigurationErrorTests {
    /// The process environment without any connection or pra setting.
    static func bare(_ extra: [String: String] = [:]) -> [String: String] {
        TestEnvironment.baseEnvironment(extra)
    }

    @Test("nothing configured, libpq's defaults reaching no server: exit 3 naming what was tried and the fix; --nagios UNKNOWN")
    func nothingConfigured() throws {
        let directory = TestEnvironment.temporaryDirectory("st-nothing")
        // PGHOST unset: libpq's default socket directory, which no server listens in here.
        let environment = Self.bare(["PGCONNECT_TIMEOUT": "3", "BACKUP_DIR": directory])
        let result = try PraBinary.run(["status"], environment: environment)
        #expect(result.exitCode == 3, "\(result.stdout)\(result.stderr)")
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("pra: error:") }
        #expect(errors.count == 1, "\(result.stderr)")
        for words in ["nothing is configured", "PGHOST", "DATABASE_URL", "eval \"$(pra cluster up)\""] {
            #expect(result.stderr.contains(words), "lacks \(words): \(result.stderr)")
        }
        #expect(!result.stdout.contains("CRITICAL"), "\(result.stdout)")
        let nagios = try PraBinary.run(["status", "--nagios"], environment: environment)
        #expect(nagios.exitCode == 3)
        #expect(nagios.stdout.hasPrefix("PRA UNKNOWN - cannot connect"), "\(nagios.stdout)")
    }

    @Test("a BACKUP_DIR that does not exist: exit 3 with verify's message, no disk figure",
          .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs are not installed"))
    func missingBackupDirectory() throws {
        let missing = TestEnvironment.temporaryDirectory("st-missing") + "/not-there"
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: missing)
        let status = try PraBinary.run(["status", "--json"], environment: environment)
        #expect(status.exitCode == 3, "\(status.stdout)\(status.stderr)")
        #expect(status.stderr.contains("the backup directory \(missing) does not exist (BACKUP_DIR from the environment)"), "\(status.stderr)")
        #expect(!status.stdout.contains("no complete backup") && !status.stdout.contains("free"), "\(status.stdout)")
        let verify = try PraBinary.run(["verify", "--all"], environment: environment)
        #expect(verify.exitCode == 2)
        let line = { (text: String) in text.split(separator: "\n").first { $0.contains("does not exist") }.map(String.init) }
        #expect(line(status.stderr) != nil && line(status.stderr) == line(verify.stderr), "status: \(status.stderr) verify: \(verify.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing), "status created nothing")
        // Once it exists, status judges it (CRITICAL: no backup yet).
        try FileManager.default.createDirectory(atPath: missing, withIntermediateDirectories: true)
        #expect(try PraBinary.run(["status"], environment: environment.merging(["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"]) { $1 }).exitCode == 1)
    }
}
