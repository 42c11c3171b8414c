import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// Failure paths of restore, verify, status and configuration through the built `pra`: each
/// asserts the exit code, the message's key words, and that nothing was lost (the backups, the
/// source database) or left behind (staging databases, partial files, created directories).
@Suite("pra executable: failure paths of restore, verify, status and configuration", .requires(.postgresServer))
struct FailurePathCLITests {
    /// Names of the databases on the shared cluster starting with `prefix`.
    static func databases(prefix: String) throws -> [String] {
        try TestEnvironment.psql("SELECT datname FROM pg_database WHERE starts_with(datname, '\(prefix)') ORDER BY 1", database: "postgres")
            .split(separator: "\n").map(String.init)
    }

    /// A fixture database and one complete backup of it; returns (database, directory, environment, archive, manifest).
    static func backedUp(_ label: String, extra: [String: String] = [:]) throws -> (database: String, directory: String, environment: [String: String], archive: String, manifest: String) {
        let database = try TestEnvironment.fixtureDatabase(label, scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory(label)
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory + "/backups",
                                                      extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"].merging(extra) { $1 })
        let backup = try PraBinary.run(["backup", "--full", "--json"], environment: environment)
        try #require(backup.exitCode == 0, "\(backup.stderr)")
        let entry = try #require(BackupCatalogue(directory: directory + "/backups").newestComplete)
        return (database, directory, environment, entry.archivePath, entry.manifestPath)
    }

    /// The rows of `table` in `database`.
    static func rows(_ table: String, in database: String) throws -> String {
        try TestEnvironment.psql("SELECT count(*) FROM \(table)", database: database)
    }

    // MARK: restore

    @Test("restore: row counts differing from the manifest fail the integrity check, exit 1; backup, source and report kept, no staging database")
    func restoreRowMismatch() throws {
        let setup = try Self.backedUp("rowmismatch")
        let before = try Self.rows("users", in: setup.database)
        // The manifest disagrees with the dump by one row in public.users.
        var manifest = try BackupManifest.load(path: setup.manifest)
        let index = try #require(manifest.tables.firstIndex { $0.name == "users" })
        manifest.tables[index].rows += 1
        try manifest.encoded().write(to: URL(fileURLWithPath: setup.manifest))
        let manifestBytes = try Data(contentsOf: URL(fileURLWithPath: setup.manifest))
        let archiveDigest = try FileDigest(path: setup.archive)

        let target = setup.database + "_r"
        let restore = try PraBinary.run(["restore", "--latest", "--target-db", target], environment: setup.environment)
        #expect(restore.exitCode == 1, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stderr.contains("pra: error: restore of "), "\(restore.stderr)")
        #expect(restore.stderr.contains("integrity: 1 table(s) differ: public.users: \(before) rows, manifest \(Int(before)! + 1)"), "\(restore.stderr)")
        #expect(restore.stdout.contains("✗ integrity"))
        #expect(try Self.databases(prefix: target + "__pra").isEmpty, "a staging database was left")
        #expect(try Self.rows("users", in: setup.database) == before, "the source database changed")
        #expect(try FileDigest(path: setup.archive) == archiveDigest)
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.manifest)) == manifestBytes)
        let report = try #require(restore.stdout.split(separator: "\n").first { $0.hasPrefix("report: ") }.map { String($0.dropFirst(8)) })
        #expect(try String(contentsOfFile: report, encoding: .utf8).contains("✗ integrity"))
    }

    @Test("restore --latest: a newest backup whose load differs from its manifest never replaces the target; the previous backup is restored instead")
    func restoreRowMismatchFallsBack() throws {
        let setup = try Self.backedUp("rowfallback")
        let older = setup.archive
        // A second backup, then its manifest made to disagree with it.
        sleep(1)  // archive names have one-second resolution
        let second = try PraBinary.run(["backup", "--full"], environment: setup.environment)
        try #require(second.exitCode == 0, "\(second.stderr)")
        let newest = try #require(BackupCatalogue(directory: setup.directory + "/backups").newestComplete)
        try #require(newest.archivePath != older)
        var manifest = try BackupManifest.load(path: newest.manifestPath)
        let index = try #require(manifest.tables.firstIndex { $0.name == "users" })
        manifest.tables[index].rows += 1
        try manifest.encoded().write(to: URL(fileURLWithPath: newest.manifestPath))

        // An existing target with rows of its own: replaced only by a load that passes its checks.
        let target = setup.database + "_fb"
        let fresh = try PraBinary.run(["restore", "--latest", "--target-db", target, "--json"], environment: setup.environment)
        #expect(fresh.exitCode == 0, "\(fresh.stdout)\(fresh.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(fresh.stdout.utf8)) as? [String: Any]
        #expect((document?["archive"] as? String) == older, "\(fresh.stdout)")
        let skipped = (document?["skippedBackups"] as? [String]) ?? []
        #expect(skipped.contains { $0.contains((newest.archivePath as NSString).lastPathComponent) && $0.contains("loaded but failed its checks (integrity: 1 table(s) differ: public.users") }, "\(skipped)")
        #expect(try Self.databases(prefix: target + "__pra").isEmpty, "a staging database was left")

        // Only the tampered backup left: the existing target keeps its content.
        try FileManager.default.removeItem(atPath: older)
        try FileManager.default.removeItem(atPath: older + BackupArchiveName.manifestSuffix)
        try TestEnvironment.psql("CREATE TABLE kept_marker (id int); INSERT INTO kept_marker VALUES (42)", database: target)
        let refused = try PraBinary.run(["restore", "--latest", "--target-db", target, "--force"], environment: setup.environment)
        #expect(refused.exitCode == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("integrity: 1 table(s) differ: public.users"), "\(refused.stderr)")
        #expect(try TestEnvironment.psql("SELECT id FROM kept_marker", database: target) == "42", "the target was replaced by a load that failed its checks")
        #expect(try Self.databases(prefix: target + "__pra").isEmpty, "a staging database was left")
    }

    @Test("restore: a critical table missing from the restored database fails the check, exit 1, naming the table")
    func restoreMissingCriticalTable() throws {
        let setup = try Self.backedUp("critmissing", extra: ["CRITICAL_TABLES": "users,ghost_ledger"])
        let target = setup.database + "_r"
        let restore = try PraBinary.run(["restore", "--latest", "--target-db", target], environment: setup.environment)
        #expect(restore.exitCode == 1, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stderr.contains("critical tables: missing: ghost_ledger"), "\(restore.stderr)")
        #expect(!restore.stderr.contains("missing: users"))
        #expect(try Self.databases(prefix: target + "__pra").isEmpty, "a staging database was left")
        #expect(BackupCatalogue(directory: setup.directory + "/backups").complete.count == 1, "the backup stays")
    }

    @Test("restore --file: a missing file is a usage error (exit 2) naming it; no database created")
    func restoreFileMissing() throws {
        let directory = TestEnvironment.temporaryDirectory("restoremissing")
        let target = TestEnvironment.databaseName("nofile")
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory + "/backups")
        let restore = try PraBinary.run(["restore", "--file", directory + "/nope.sql.gz", "--target-db", target], environment: environment)
        #expect(restore.exitCode == 2, "\(restore.stderr)")
        #expect(restore.stderr.contains("\(directory)/nope.sql.gz does not exist"), "\(restore.stderr)")
        #expect(try Self.databases(prefix: target).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory + "/backups"))
    }

    @Test("restore --file: a file that is not a gzip dump fails verification (exit 1); the file untouched, no database created")
    func restoreFileInvalid() throws {
        let directory = TestEnvironment.temporaryDirectory("restoreinvalid")
        let file = directory + "/notadump.sql.gz"
        try Data("this is not gzip\n".utf8).write(to: URL(fileURLWithPath: file))
        let target = TestEnvironment.databaseName("badfile")
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory + "/backups")
        let restore = try PraBinary.run(["restore", "--file", file, "--target-db", target], environment: environment)
        #expect(restore.exitCode == 1, "\(restore.stderr)")
        #expect(restore.stderr.contains("notadump.sql.gz is not a valid archive"), "\(restore.stderr)")
        #expect(try Self.databases(prefix: target).isEmpty, "a target or staging database was left")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "this is not gzip\n")
    }

    @Test("restore: a target name too long for PostgreSQL (64 bytes) is a usage error (exit 2); nothing created")
    func restoreTargetNameTooLong() throws {
        let directory = TestEnvironment.temporaryDirectory("restorelong")
        let target = "t" + String(repeating: "x", count: 63)
        #expect(target.utf8.count == 64)
        // The backup directory exists (a missing one is its own error, checked first).
        try FileManager.default.createDirectory(atPath: directory + "/backups", withIntermediateDirectories: true)
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory + "/backups")
        let restore = try PraBinary.run(["restore", "--latest", "--target-db", target], environment: environment)
        #expect(restore.exitCode == 2, "\(restore.stderr)")
        #expect(restore.stderr.contains("target database name \(target) is longer than"), "\(restore.stderr)")
        #expect(try Self.databases(prefix: String(target.prefix(40))).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/backups").isEmpty)
    }

    @Test("restore: a report that cannot be written is an error (exit 1, one line naming REPORT_DIR), never swallowed; the restored database stands")
    func restoreReportUnwritable() throws {
        let setup = try Self.backedUp("reportfail")
        let blocker = setup.directory + "/not-a-directory"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        var environment = setup.environment
        environment["REPORT_DIR"] = blocker + "/reports"
        let target = setup.database + "_r"
        let restore = try PraBinary.run(["restore", "--latest", "--target-db", target], environment: environment)
        #expect(restore.exitCode == 1, "\(restore.stderr)")
        let errors = restore.stderr.split(separator: "\n").filter { $0.hasPrefix("pra: error:") }
        #expect(errors.count == 1, "one error line: \(restore.stderr)")
        #expect(errors.first?.hasPrefix("pra: error: the restore completed, but cannot write the restore report in REPORT_DIR=\(blocker)/reports") == true, "\(restore.stderr)")
        #expect(!restore.stderr.contains("pra: warning: cannot write the restore report"), "\(restore.stderr)")
        #expect(!restore.stdout.contains("report: "))
        #expect(try Self.rows("users", in: target) == Self.rows("users", in: setup.database))
        #expect(try Self.databases(prefix: target + "__pra").isEmpty)
    }

    // MARK: verify

    @Test("verify: an archive that cannot be read is invalid (exit 1), named with the reason")
    func verifyUnreadableFile() throws {
        let directory = TestEnvironment.temporaryDirectory("verifyunreadable")
        // A regular file whose reads fail even for root: a link to the reading process's own
        // memory, whose first page is never mapped (EIO).
        let archive = directory + "/akig_backup_full_20260101_000000.sql.gz"
        try FileManager.default.createSymbolicLink(atPath: archive, withDestinationPath: "/proc/self/mem")
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory)
        let verify = try PraBinary.run(["verify", archive], environment: environment)
        #expect(verify.exitCode == 1, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stderr.contains("akig_backup_full_20260101_000000.sql.gz"), "\(verify.stderr)")
        #expect(verify.stderr.contains("cannot read") || verify.stderr.contains("cannot open"), "\(verify.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: archive) == "/proc/self/mem")
    }

    @Test("verify: a directory where an archive should be is a usage error (exit 2) in a plain sentence")
    func verifyDirectory() throws {
        let directory = TestEnvironment.temporaryDirectory("verifydirectory")
        let archive = directory + "/akig_backup_full_20260101_000000.sql.gz"
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        let verify = try PraBinary.run(["verify", archive], environment: TestEnvironment.environment(database: "postgres", backupDirectory: directory))
        #expect(verify.exitCode == 2, "\(verify.stderr)")
        #expect(verify.stderr.contains("\(archive) is a directory, not an archive file"), "\(verify.stderr)")
    }

    @Test("verify: an invalid manifest makes the backup invalid (exit 1) naming the manifest; the archive untouched; status CRITICAL")
    func verifyInvalidManifest() throws {
        let setup = try Self.backedUp("badmanifest")
        let digest = try FileDigest(path: setup.archive)
        try Data("{\"formatVersion\": 1, \"archive\": ".utf8).write(to: URL(fileURLWithPath: setup.manifest))
        let verify = try PraBinary.run(["verify", "--all"], environment: setup.environment)
        #expect(verify.exitCode == 1, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stderr.contains((setup.archive as NSString).lastPathComponent), "\(verify.stderr)")
        #expect(verify.stderr.contains("manifest"), "\(verify.stderr)")
        #expect(try FileDigest(path: setup.archive) == digest, "verify changed the archive")
        let status = try PraBinary.run(["status"], environment: setup.environment)
        #expect(status.exitCode == 1, "\(status.stdout)")
    }

    // MARK: status

    /// The named check of a `pra status --json` document.
    static func check(_ name: String, in output: String) throws -> [String: Any] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let checks = try #require(document["checks"] as? [[String: Any]])
        return try #require(checks.first { $0["name"] as? String == name }, "no \(name) check in \(output)")
    }

    @Test("status: free space below DISK_CRITICAL_PERCENT is CRITICAL (exit 1), naming the directory and the threshold")
    func statusDiskCritical() throws {
        let setup = try Self.backedUp("diskcrit")
        var environment = setup.environment
        environment["DISK_CRITICAL_PERCENT"] = "100"
        environment["DISK_WARN_PERCENT"] = "100"
        let status = try PraBinary.run(["status", "--json"], environment: environment)
        #expect(status.exitCode == 1, "\(status.stdout)\(status.stderr)")
        let disk = try Self.check("disk", in: status.stdout)
        #expect(disk["level"] as? String == "CRITICAL")
        let message = try #require(disk["message"] as? String)
        #expect(message.contains("below DISK_CRITICAL_PERCENT=100"), "\(message)")
        #expect(message.contains(setup.directory + "/backups"), "\(message)")
        #expect(try Self.check("backup age", in: status.stdout)["level"] as? String == "OK", "only the disk is critical")
    }

    @Test("status: free space that cannot be measured is CRITICAL (exit 1), never OK, naming where it looked")
    func statusDiskUnmeasurable() throws {
        // procfs reports no blocks at all: nothing to measure (an existing directory: a missing
        // one is a configuration error, exit 3).
        let backupDirectory = "/proc/sys/fs"
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: backupDirectory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        let status = try PraBinary.run(["status", "--json"], environment: environment)
        #expect(status.exitCode == 1, "\(status.stdout)\(status.stderr)")
        let disk = try Self.check("disk", in: status.stdout)
        #expect(disk["level"] as? String == "CRITICAL")
        #expect((disk["message"] as? String)?.contains("cannot measure free space near \(backupDirectory)") == true, "\(disk)")
    }

    // MARK: configuration

    /// Runs `pra backup --full` with `envFileText` as its env file; returns the result and the backup directory.
    static func backup(envFile text: String?, label: String, extra: [String: String] = [:], envFilePath: String? = nil) throws -> (PraBinary.Result, String, String) {
        let directory = TestEnvironment.temporaryDirectory(label)
        let envFile = envFilePath ?? directory + "/pra.env"
        if let text { try text.write(toFile: envFile, atomically: true, encoding: .utf8) }
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory + "/backups", extra: extra)
        return (try PraBinary.run(["backup", "--full", "--env-file", envFile], environment: environment), directory + "/backups", envFile)
    }

    @Test("configuration: an invalid variable name in the env file exits 2 naming file, line and name; nothing written")
    func configurationBadName() throws {
        let (result, backups, envFile) = try Self.backup(envFile: "# settings\nBACKUP_MIN_KEEP=3\nBACKUP-DIR=/srv\n", label: "cfgname")
        #expect(result.exitCode == 2, "\(result.stderr)")
        #expect(result.stderr.contains("\(envFile):3: invalid variable name \"BACKUP-DIR\""), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: backups))
    }

    @Test("configuration: an unterminated quote exits 2 naming file, line and variable, without echoing the value")
    func configurationUnterminatedQuote() throws {
        let (result, backups, envFile) = try Self.backup(envFile: "SMTP_PASSWORD=\"s3cret-never-shown\nBACKUP_MIN_KEEP=3\n", label: "cfgquote")
        #expect(result.exitCode == 2, "\(result.stderr)")
        #expect(result.stderr.contains("\(envFile):1: unterminated quote in SMTP_PASSWORD"), "\(result.stderr)")
        #expect(!result.stderr.contains("s3cret"))
        #expect(!FileManager.default.fileExists(atPath: backups))
    }

    @Test("configuration: an env file that cannot be read exits 2 naming it; nothing written")
    func configurationUnreadableFile() throws {
        let directory = TestEnvironment.temporaryDirectory("cfgunreadable")
        let envFile = directory + "/pra.env"
        // A directory: it exists, opens, and cannot be read, even for root.
        try FileManager.default.createDirectory(atPath: envFile, withIntermediateDirectories: true)
        let (result, backups, _) = try Self.backup(envFile: nil, label: "cfgunreadable2", envFilePath: envFile)
        #expect(result.exitCode == 2, "\(result.stderr)")
        #expect(result.stderr.contains("cannot read env file \(envFile)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: backups))
    }

    @Test("configuration: a non-numeric whole number exits 2 naming the variable, value and range; no backup directory or archive")
    func configurationNonNumericInteger() throws {
        let (result, backups, _) = try Self.backup(envFile: "BACKUP_MIN_KEEP=seven\n", label: "cfgint")
        #expect(result.exitCode == 2, "\(result.stderr)")
        #expect(result.stderr.contains("BACKUP_MIN_KEEP=seven is not a whole number in 1...100000"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: backups))
        let (retention, retentionBackups, _) = try Self.backup(envFile: "", label: "cfgint2", extra: ["BACKUP_RETENTION_DAYS": "30d"])
        #expect(retention.exitCode == 2)
        #expect(retention.stderr.contains("BACKUP_RETENTION_DAYS=30d is not a whole number"), "\(retention.stderr)")
        #expect(!FileManager.default.fileExists(atPath: retentionBackups))
    }
}
