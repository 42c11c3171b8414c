import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("backup, verify, restore on a real PostgreSQL", .requires(.postgresServer))
struct BackupRestoreTests {
    @Test("backup → verify → restore gives identical row counts and schema")
    func roundTrip() throws {
        let database = try TestEnvironment.fixtureDatabase("roundtrip")
        let directory = TestEnvironment.temporaryDirectory("roundtrip")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["CRITICAL_TABLES": "users,contracts,payments"])

        let backup = try BackupOperation(configuration: configuration).run()
        #expect(FileManager.default.fileExists(atPath: backup.archive))
        #expect(FileManager.default.fileExists(atPath: backup.manifest))
        #expect(backup.tableCount == 45)
        #expect(backup.totalRows > 1000)
        #expect((try FileManager.default.contentsOfDirectory(atPath: directory)).allSatisfy { !$0.hasSuffix(".partial") })

        let manifest = try BackupManifest.load(path: backup.manifest)
        #expect(manifest.database == database)
        #expect(manifest.compressedBytes == UInt64(try FileManager.default.attributesOfItem(atPath: backup.archive)[.size] as! Int))
        let users = try #require(manifest.tables.first { $0.name == "users" })
        #expect(String(users.rows) == (try TestEnvironment.psql("SELECT count(*) FROM users", database: database)))

        let verdict = ArchiveVerifier().verify(archivePath: backup.archive, manifestPath: backup.manifest, requireManifest: true)
        #expect(verdict.valid, "\(verdict.problems)")
        #expect(verdict.sha256 == manifest.sha256)
        #expect(verdict.uncompressedBytes == manifest.uncompressedBytes)

        let target = database + "_r"
        let restore = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target)
        #expect(restore.succeeded, "\(restore.summary)")
        #expect(restore.archive == backup.archive)
        #expect(restore.skippedBackups.isEmpty)
        #expect(restore.checks.map(\.name) == ["tables", "integrity", "critical tables"])
        #expect(restore.phases.map(\.name) == ["choose backup", "verify", "create", "load", "check"])
        for table in ["users", "payments", "audit_log", "invoices"] {
            #expect(try TestEnvironment.psql("SELECT count(*) FROM \(table)", database: target) == (try TestEnvironment.psql("SELECT count(*) FROM \(table)", database: database)))
        }
        #expect(try Self.schemaDump(target) == (try Self.schemaDump(database)))

        let report = try String(contentsOfFile: try #require(restore.reportFile), encoding: .utf8)
        #expect(report.contains("✓ tables"))
        #expect(report.contains("✓ integrity"))
        #expect(report.contains("load"))
        #expect(!(try TestEnvironment.psql("SELECT datname FROM pg_database", database: "postgres")).contains(target + "__pra_restoring"))
    }

    @Test("restore refuses an existing target without --force and the source database always")
    func refusals() throws {
        let database = try TestEnvironment.fixtureDatabase("refuse", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("refuse")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        _ = try BackupOperation(configuration: configuration).run()
        let target = database + "_r"
        #expect(try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target).succeeded)
        try TestEnvironment.psql("CREATE TABLE marker(x int)", database: target)

        let refused = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target) }
        #expect(refused?.isUsageError == true)
        #expect(refused?.message.contains("already exists") == true)
        #expect(try TestEnvironment.psql("SELECT to_regclass('marker') IS NOT NULL", database: target) == "t")

        let source = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database, force: true) }
        #expect(source?.message.contains("source database") == true)

        let forced = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target, force: true)
        #expect(forced.succeeded)
        #expect(try TestEnvironment.psql("SELECT to_regclass('marker') IS NULL", database: target) == "t")
    }

    @Test("a stock pg_dump | gzip file verifies without manifest and restores with --file")
    func stockDump() throws {
        let database = try TestEnvironment.fixtureDatabase("stock", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("stock")
        let plain = directory + "/stock.sql"
        let env = TestEnvironment.environment(database: database, backupDirectory: directory)
        let dump = try ExternalProcess(executable: try PostgresBinaries().locate("pg_dump"), arguments: ["-f", plain, database], environment: env).runChecked()
        #expect(dump.succeeded)
        try ExternalProcess(executable: "/bin/gzip", arguments: [plain]).runChecked()
        let stock = plain + ".gz"

        let verdict = ArchiveVerifier().verify(archivePath: stock, manifestPath: stock + BackupArchiveName.manifestSuffix, requireManifest: false)
        #expect(verdict.valid)
        #expect(!verdict.hasManifest)
        #expect(verdict.note?.contains("no manifest") == true)

        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let restore = try RestoreOperation(configuration: configuration).run(source: .file(stock), targetDatabase: database + "_r")
        #expect(restore.succeeded, "\(restore.summary)")
        #expect(!restore.archiveHasManifest)
        #expect(try TestEnvironment.psql("SELECT count(*) FROM payments", database: database + "_r") == (try TestEnvironment.psql("SELECT count(*) FROM payments", database: database)))
    }

    @Test("a load failure leaves no database behind")
    func loadFailureLeavesNothing() throws {
        let database = try TestEnvironment.fixtureDatabase("loadfail", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("loadfail")
        // A valid gzip file whose SQL fails half-way (after creating a table).
        let sql = "CREATE TABLE half(x int);\nINSERT INTO half VALUES (1);\nSELECT no_such_function();\n--\n-- PostgreSQL database dump complete\n--\n"
        let path = directory + "/broken.sql"
        try sql.write(toFile: path, atomically: true, encoding: .utf8)
        try ExternalProcess(executable: "/bin/gzip", arguments: [path]).runChecked()
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let target = database + "_r"
        let result = try RestoreOperation(configuration: configuration).run(source: .file(path + ".gz"), targetDatabase: target)
        #expect(!result.succeeded)
        #expect(result.failedStage == "load")
        #expect(result.failure?.contains("no_such_function") == true)
        let databases = try TestEnvironment.psql("SELECT string_agg(datname, ',') FROM pg_database", database: "postgres")
        #expect(!databases.contains(target))
        #expect(FileManager.default.fileExists(atPath: try #require(result.reportFile)))
    }

    static func schemaDump(_ database: String) throws -> String {
        let env = TestEnvironment.environment(database: database, backupDirectory: "/tmp")
        let outcome = try ExternalProcess(executable: try PostgresBinaries().locate("pg_dump"), arguments: ["--schema-only", database], environment: env).runChecked()
        // pg_dump 15.14+ wraps the script in \\restrict with a random key; it differs every run.
        return outcome.stdoutText.split(separator: "\n").filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
    }
}
