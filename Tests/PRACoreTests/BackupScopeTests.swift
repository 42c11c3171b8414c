import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// Each database's backups share BACKUP_DIR with others'; every reader keeps to its own.

@Suite("backups are their own database's: restore --latest, status, retention and verify --all", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct BackupScopeTests {

    @Test("restore --latest, status and retention see only their own database's backups; verify --all says whose")
    func scopedToOwnDatabase() throws {
        let prod = try TestEnvironment.fixtureDatabase("prod", scale: 0.01)
        let big = try TestEnvironment.fixtureDatabase("big", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("scope")
        let extra = ["BACKUP_RETENTION_DAYS": "0", "BACKUP_MIN_KEEP": "1", "DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"]
        let prodConfiguration = try TestEnvironment.configuration(database: prod, backupDirectory: directory, extra: extra)
        let bigConfiguration = try TestEnvironment.configuration(database: big, backupDirectory: directory, extra: extra)
        let prodBackup = try BackupOperation(configuration: prodConfiguration).run()
        sleep(1)
        let bigBackup = try BackupOperation(configuration: bigConfiguration).run()

        // The newest archive in the directory is big's: restore --latest for prod must still take prod's.
        let restored = try RestoreOperation(configuration: prodConfiguration).run(source: .latest, targetDatabase: prod + "_x")
        #expect(restored.succeeded, "\(restored.failure ?? "")")
        #expect(restored.archive == prodBackup.archive)

        // status for prod judges prod's backup.
        let status = try StatusOperation(configuration: prodConfiguration).run()
        let age = try #require(status.checks.first { $0.name == "backup age" })
        #expect(age.message.contains((prodBackup.archive as NSString).lastPathComponent), "\(age.message)")

        // Retention for prod (keep 1, 0 days) deletes prod's older backup, never big's.
        sleep(1)
        let second = try BackupOperation(configuration: prodConfiguration).run()
        #expect(second.deletedByRetention == [(prodBackup.archive as NSString).lastPathComponent])
        #expect(FileManager.default.fileExists(atPath: bigBackup.archive))
        #expect(FileManager.default.fileExists(atPath: bigBackup.manifest))

        // A backup whose prefix is prod's but whose manifest names another database is not prod's.
        #expect(BackupCatalogue(directory: directory).scoped(database: prod, prefix: prod).complete.count == 1)
        #expect(BackupCatalogue(directory: directory).scoped(database: "other", prefix: prod).complete.isEmpty)
    }

    @Test("restore --latest falling back to the remote copies takes only its own database's")
    func remoteScopedToOwnDatabase() throws {
        let prod = try TestEnvironment.fixtureDatabase("rprod", scale: 0.01)
        let big = try TestEnvironment.fixtureDatabase("rbig", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("rscope")
        let remote = TestEnvironment.temporaryDirectory("rscope-remote")
        let prodConfiguration = try TestEnvironment.configuration(database: prod, backupDirectory: directory, extra: ["REMOTE_TARGET": remote])
        let bigConfiguration = try TestEnvironment.configuration(database: big, backupDirectory: directory, extra: ["REMOTE_TARGET": remote])
        let prodBackup = try BackupOperation(configuration: prodConfiguration).run()
        _ = try RemoteCopyOperation(configuration: prodConfiguration)?.copy(archivePath: prodBackup.archive, manifestPath: prodBackup.manifest)
        sleep(1)
        let bigBackup = try BackupOperation(configuration: bigConfiguration).run()
        _ = try RemoteCopyOperation(configuration: bigConfiguration)?.copy(archivePath: bigBackup.archive, manifestPath: bigBackup.manifest)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.contains("_backup_full_") {
            try FileManager.default.removeItem(atPath: directory + "/" + name)
        }
        let restored = try RestoreOperation(configuration: prodConfiguration).run(source: .latest, targetDatabase: prod + "_x")
        #expect(restored.succeeded, "\(restored.failure ?? "")")
        #expect(restored.fetchedFromRemote.first?.contains((prodBackup.archive as NSString).lastPathComponent) == true, "\(restored.fetchedFromRemote)")
    }
}
