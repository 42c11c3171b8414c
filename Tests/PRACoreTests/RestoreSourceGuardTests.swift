import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// The guard compares the connected database and the manifest's; --replace-source; in-place recovery of a dropped source.

@Suite("restore source guard: the source database is never replaced by accident", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct RestoreSourceGuardTests {

    @Test("the source guard uses the connected database and the manifest's; --replace-source; in-place recovery of a dropped source")
    func sourceGuard() throws {
        let prod = TestEnvironment.databaseName("prod")
        try TestDatabases.markerDatabase(prod, label: "live")
        let directory = TestEnvironment.temporaryDirectory("guard")
        let prodConfiguration = try TestEnvironment.configuration(database: prod, backupDirectory: directory)
        let backup = try BackupOperation(configuration: prodConfiguration).run()
        try TestEnvironment.psql("INSERT INTO marker VALUES ('written after the backup')", database: prod)

        // PGDATABASE unset: libpq connects to the user's database; the manifest still says prod.
        var environment = TestEnvironment.environment(database: prod, backupDirectory: directory)
        environment["PGDATABASE"] = nil
        let unset = try Configuration(envFile: TestEnvironment.noEnvFile, environment: environment)
        let refused = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: unset).run(source: .file(backup.archive), targetDatabase: prod, force: true) }
        #expect(refused?.isUsageError == true)
        #expect(refused?.message.contains("--replace-source") == true, "\(refused?.message ?? "")")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM marker", database: prod) == "2")

        // The connected database is the user's ("postgres"): never a target either.
        let postgres = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: unset).run(source: .file(backup.archive), targetDatabase: "postgres", force: true) }
        #expect(postgres?.message.contains("source database") == true)

        // On purpose: --replace-source.
        let replaced = try RestoreOperation(configuration: unset).run(source: .file(backup.archive), targetDatabase: prod, force: true, replaceSource: true)
        #expect(replaced.succeeded, "\(replaced.failure ?? "")")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM marker", database: prod) == "1")

        // The source dropped: restoring it under its own name is in-place recovery.
        try TestEnvironment.psql("DROP DATABASE \(PostgresConnection.quoteIdentifier(prod)) WITH (FORCE)", database: "postgres")
        let recovered = try RestoreOperation(configuration: prodConfiguration).run(source: .latest, targetDatabase: prod)
        #expect(recovered.succeeded, "\(recovered.failure ?? "")")
        #expect(try TestEnvironment.psql("SELECT label FROM marker", database: prod) == "live")
    }
}
