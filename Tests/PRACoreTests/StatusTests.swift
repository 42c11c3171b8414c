import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

@Suite("status levels on a real PostgreSQL", .requires(.postgresServer))
struct StatusTests {
    @Test("healthy: every check OK, exit code 0")
    func healthy() throws {
        let database = try TestEnvironment.fixtureDatabase("status", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("status")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["CRITICAL_TABLES": "users,payments", "DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        _ = try BackupOperation(configuration: configuration).run()
        let report = try StatusOperation(configuration: configuration).run()
        #expect(report.level == .ok, "\(report.text)")
        #expect(report.level.exitCode == 0)
        #expect(Set(report.checks.map(\.name)).isSuperset(of: ["database", "critical tables", "database size", "backup age", "verification", "disk"]))

        // The same backup, two hours later: older than the 1h RPO target.
        let later = try StatusOperation(configuration: configuration).run(now: Date().addingTimeInterval(7200))
        #expect(later.level == .critical)
        #expect(later.level.exitCode == 1)
        #expect(later.checks.first { $0.name == "backup age" }?.message.contains("over the RPO target") == true)
    }

    @Test("no complete backup, a missing critical table, a failed verification: CRITICAL")
    func criticals() throws {
        let database = try TestEnvironment.fixtureDatabase("statuscrit", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("statuscrit")
        var configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["CRITICAL_TABLES": "users,no_such_table", "DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        let empty = try StatusOperation(configuration: configuration).run()
        #expect(empty.checks.first { $0.name == "backup age" }?.level == .critical)
        #expect(empty.checks.first { $0.name == "critical tables" }?.message.contains("no_such_table") == true)

        configuration.set("CRITICAL_TABLES", "users")
        let backup = try BackupOperation(configuration: configuration).run()
        #expect(try StatusOperation(configuration: configuration).run().level == .ok)
        try ArchiveCorruption.truncate(fraction: 0.5).apply(to: backup.archive)
        VerificationRecord.save(ArchiveVerifier().verify(archivePath: backup.archive, manifestPath: backup.manifest, requireManifest: true))
        let failed = try StatusOperation(configuration: configuration).run()
        #expect(failed.level == .critical)
        #expect(failed.checks.first { $0.name == "verification" }?.message.contains("failed") == true)
    }

    @Test("a critical table that cannot be looked up (a name PostgreSQL refuses) fails naming why, never reads as missing: status and restore checks alike")
    func criticalTableLookupFails() throws {
        let database = try TestEnvironment.fixtureDatabase("statuslookup", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("statuslookup")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["CRITICAL_TABLES": "users,a.b.c.d", "DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        let report = try StatusOperation(configuration: configuration).run()
        let status = try #require(report.checks.first { $0.name == "critical tables" })
        #expect(status.level == .critical)
        #expect(status.message.hasPrefix("cannot look a.b.c.d up in \(database): "), "\(status.message)")
        #expect(!status.message.contains("missing"), "\(status.message)")

        // The check both restore strategies run on the restored database.
        let connection = try PostgresConnection(try configuration.connectionSettings(), applicationName: "test")
        let restore = try #require(CriticalTables(["users", "a.b.c.d"]).check(in: connection, database: database))
        #expect(!restore.passed)
        #expect(restore.message.hasPrefix("cannot look a.b.c.d up in \(database): "), "\(restore.message)")
        let present = try #require(CriticalTables(["users"]).check(in: connection))
        #expect(present.passed && present.message == "all 1 present (users)", "\(present.message)")
        #expect(CriticalTables([]).check(in: connection) == nil)
    }

    @Test("free space under DISK_WARN_PERCENT is a WARNING, exit code 2")
    func diskWarning() throws {
        let database = try TestEnvironment.fixtureDatabase("statuswarn", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("statuswarn")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "100", "DISK_CRITICAL_PERCENT": "0"])
        _ = try BackupOperation(configuration: configuration).run()
        let report = try StatusOperation(configuration: configuration).run()
        #expect(report.level == .warning, "\(report.text)")
        #expect(report.level.exitCode == 2)
        #expect(report.headline.contains("DISK_WARN_PERCENT"))
    }

    @Test("an application health URL that does not answer is CRITICAL")
    func healthURL() throws {
        let database = try TestEnvironment.fixtureDatabase("statushealth", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("statushealth")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["APP_HEALTH_URL": "http://127.0.0.1:1/health", "HEALTH_TIMEOUT": "3s", "DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        _ = try BackupOperation(configuration: configuration).run()
        let report = try StatusOperation(configuration: configuration).run()
        let health = try #require(report.checks.first { $0.name == "health" })
        #expect(health.level == .critical)
        #expect(health.message.contains("127.0.0.1:1"))
    }
}
