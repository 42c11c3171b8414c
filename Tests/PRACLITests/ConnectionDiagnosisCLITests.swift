import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// A connection that fails is explained: each value pra used with its source (option, environment, env file, DATABASE_URL) and what to do.

@Suite("connection diagnosis: what was tried, where each value came from, the fix")
struct ConnectionDiagnosisCLITests {
    @Test("nothing configured: backup exits 2 naming what was tried, where from, and the fix")
    func nothingConfigured() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-nothing")
        let result = try CLIRun.pra(["backup", "--env-file", "/dev/null"], in: directory, environment: CLIRun.bareEnvironment(["PGCONNECT_TIMEOUT": "3"]))
        #expect(result.exitCode == 2, "\(result.stderr)")
        #expect(CLIRun.errorLines(result).count == 1, "\(result.stderr)")
        for words in ["cannot connect", "tried host", "port 5432 (libpq default)", "database", "user", "nothing is configured", "PGHOST", "PGDATABASE", "DATABASE_URL", "eval \"$(pra cluster up)\""] {
            #expect(result.stderr.contains(words), "lacks \(words): \(result.stderr)")
        }
    }

    @Test("a configured server that cannot be reached: exit 1, each value with its source (environment, env file)")
    func unreachableServer() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-unreachable")
        let environment = CLIRun.bareEnvironment(["PGHOST": directory + "/no-socket-here", "PGDATABASE": "shop", "BACKUP_DIR": directory + "/backups"])
        let backup = try CLIRun.pra(["backup", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(backup.exitCode == 1, "\(backup.stderr)")
        #expect(CLIRun.errorLines(backup).count == 1, "\(backup.stderr)")
        for words in ["host \(directory)/no-socket-here (PGHOST from the environment)", "database shop (PGDATABASE from the environment)", "port 5432 (libpq default)", "pra cluster up"] {
            #expect(backup.stderr.contains(words), "lacks \(words): \(backup.stderr)")
        }

        let envFile = directory + "/pra.env"
        try "PGHOST=\(directory)/other\nPGPORT=6543\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let fromFile = try CLIRun.pra(["backup", "--env-file", envFile], in: directory, environment: CLIRun.bareEnvironment(["BACKUP_DIR": directory + "/backups"]))
        #expect(fromFile.exitCode == 1, "\(fromFile.stderr)")
        #expect(fromFile.stderr.contains("host \(directory)/other (PGHOST from the env file)"), "\(fromFile.stderr)")
        #expect(fromFile.stderr.contains("port 6543 (PGPORT from the env file)"), "\(fromFile.stderr)")

        try FileManager.default.createDirectory(atPath: directory + "/backups", withIntermediateDirectories: true)
        let restore = try CLIRun.pra(["restore", "--latest", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(restore.exitCode == 1, "\(restore.stderr)")
        #expect(restore.stderr.contains("database postgres (RESTORE_MAINTENANCE_DB, default)"), "\(restore.stderr)")
    }

    @Test("the diagnosis names DATABASE_URL as the source of the values it holds")
    func diagnosisFromURL() throws {
        let configuration = try Configuration(envFile: "/dev/null", environment: ["DATABASE_URL": "postgresql://app@db.internal:5433/shop"])
        let diagnosis = ConnectionDiagnosis(configuration: configuration)
        #expect(!diagnosis.nothingConfigured)
        #expect(diagnosis.triedDescription.contains("host db.internal (DATABASE_URL from the environment)"))
        #expect(diagnosis.triedDescription.contains("port 5433 (DATABASE_URL from the environment)"))
        #expect(diagnosis.triedDescription.contains("user app (DATABASE_URL from the environment)"))
        let nothing = ConnectionDiagnosis(configuration: try Configuration(envFile: "/dev/null", environment: [:]))
        #expect(nothing.nothingConfigured)
        #expect(nothing.fix.contains("PGHOST and PGDATABASE (or DATABASE_URL)"))
    }
}
