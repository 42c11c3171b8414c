import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// Database names that look like paths, options, connection strings or are not ASCII give safe archive names.

@Suite("archive names: any database name backs up and restores", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct BackupArchiveNameTests {

    @Test("database names that look like paths, options, connection strings or are not ASCII back up and restore")
    func awkwardDatabaseNames() throws {
        let suffix = UUID().uuidString.prefix(6).lowercased()
        let decoy = "prod_\(suffix)"
        try TestDatabases.markerDatabase(decoy, label: "decoy")
        let stray = "/tmp/pra-x-\(suffix).sql"
        let names = ["../escape_\(suffix)", "-f\(stray)", "dbname=\(decoy)", "données_\(suffix)"]
        let directory = TestEnvironment.temporaryDirectory("names")
        for name in names {
            try TestDatabases.markerDatabase(name)
            let configuration = try TestEnvironment.configuration(database: name, backupDirectory: directory)
            let backup = try BackupOperation(configuration: configuration).run()
            #expect((backup.archive as NSString).deletingLastPathComponent == directory, "\(backup.archive)")
            let file = (backup.archive as NSString).lastPathComponent
            #expect(!file.hasPrefix("-") && !file.contains("..") && file.allSatisfy { $0.isASCII }, "\(file)")
            #expect(try BackupManifest.load(path: backup.manifest).database == name)
            let target = "r_" + UUID().uuidString.prefix(8).lowercased()
            let restored = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target)
            #expect(restored.succeeded, "\(name): \(restored.failure ?? "")")
            #expect(try TestEnvironment.psql("SELECT label FROM marker", database: target) == name)
        }
        #expect(!FileManager.default.fileExists(atPath: stray))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/tmp").allSatisfy { !$0.hasPrefix("escape_\(suffix)") })
        #expect(BackupArchiveName.safePrefix("a/b") != BackupArchiveName.safePrefix("a_b"))
        #expect(BackupOperation.connectionString(database: "it's \\") == "dbname='it\\'s \\\\'")
    }
}
