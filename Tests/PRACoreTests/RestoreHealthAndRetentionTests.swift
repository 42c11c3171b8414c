import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("restore health checks and retention on disk", .requires(.postgresServer))
struct RestoreHealthAndRetentionTests {
    @Test("restore checks the health URL and every endpoint against a real HTTP listener")
    func healthChecks() throws {
        let server = try LoopbackHTTPServer { path in path.hasPrefix("/broken") ? 500 : 200 }
        let database = try TestEnvironment.fixtureDatabase("health", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("health")
        var configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: [
            "APP_HEALTH_URL": server.url("/health"), "API_ENDPOINTS": "\(server.url("/api/ping")),\(server.url("/api/contracts"))",
        ])
        _ = try BackupOperation(configuration: configuration).run()
        let good = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_ok")
        #expect(good.succeeded, "\(good.summary)")
        #expect(good.checks.filter { $0.name == "endpoint" }.count == 2)
        #expect(good.checks.first { $0.name == "health" }?.message.contains("HTTP 200") == true)
        #expect(Set(server.requestedPaths).isSuperset(of: ["/health", "/api/ping", "/api/contracts"]))

        configuration.set("API_ENDPOINTS", server.url("/broken/api"))
        let bad = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_bad")
        #expect(!bad.succeeded)
        #expect(bad.failure == nil)  // loaded; a check failed
        let report = try String(contentsOfFile: try #require(bad.reportFile), encoding: .utf8)
        #expect(report.contains("✗ endpoint"))
        #expect(report.contains("HTTP 500"))
        #expect(report.contains("✓ health"))
    }

    @Test("after a success, retention deletes expired backups but keeps BACKUP_MIN_KEEP; a failure deletes nothing")
    func retentionOnDisk() throws {
        let database = try TestEnvironment.fixtureDatabase("retention", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("retention")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["BACKUP_RETENTION_DAYS": "30", "BACKUP_MIN_KEEP": "2"])
        let fresh = try BackupOperation(configuration: configuration).run()
        // Three complete backups from 40, 50 and 60 days ago (copies of the real one, renamed).
        var old: [String] = []
        for days in [40.0, 50, 60] {
            let name = BackupArchiveName(prefix: database, timestamp: Date().addingTimeInterval(-days * 86400))
            let path = directory + "/" + name.fileName
            try FileManager.default.copyItem(atPath: fresh.archive, toPath: path)
            try FileManager.default.copyItem(atPath: fresh.manifest, toPath: path + BackupArchiveName.manifestSuffix)
            old.append(path)
        }
        #expect(BackupCatalogue(directory: directory).complete.count == 4)

        // A failing backup (pg_dump missing) must not apply retention.
        var failing = configuration
        failing.set("PG_BIN_DIR", TestEnvironment.temporaryDirectory("nobin"))
        #expect(throws: OperationFailure.self) { try BackupOperation(configuration: failing).run() }
        #expect(BackupCatalogue(directory: directory).complete.count == 4)

        let next = try BackupOperation(configuration: configuration).run()
        #expect(Set(next.deletedByRetention) == Set(old.map { ($0 as NSString).lastPathComponent }))
        let remaining = BackupCatalogue(directory: directory).complete.map(\.archivePath)
        #expect(Set(remaining) == [fresh.archive, next.archive])
        for path in old {
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(!FileManager.default.fileExists(atPath: path + BackupArchiveName.manifestSuffix))
        }
    }
}
