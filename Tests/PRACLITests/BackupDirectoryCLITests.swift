import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// Archive names given bare are looked up in BACKUP_DIR; a missing backup directory is its own error.

@Suite("BACKUP_DIR: names found there, a missing directory named")
struct BackupDirectoryCLITests {
    @Test("a bare archive name is found in BACKUP_DIR; a missing one names BACKUP_DIR")
    func bareNames() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-bare")
        let backups = directory + "/backups"
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        let plain = backups + "/stock_dump.sql"
        try "SELECT 1;\n\(ArchiveVerifier.dumpTrailer)\n".write(toFile: plain, atomically: true, encoding: .utf8)
        _ = try ExternalProcess(executable: "/bin/sh", arguments: ["-c", "gzip -n \"$1\"", "sh", plain]).runChecked()
        let environment = CLIRun.bareEnvironment(["BACKUP_DIR": backups])

        let found = try CLIRun.pra(["verify", "stock_dump.sql.gz", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(found.exitCode == 0, "\(found.stdout)\(found.stderr)")
        #expect(found.stdout.contains("stock_dump.sql.gz"))

        let missing = try CLIRun.pra(["verify", "nope_backup_full_20260101_000000.sql.gz", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(missing.exitCode == 2)
        #expect(missing.stderr.contains("does not exist"))
        #expect(missing.stderr.contains(backups))
        #expect(missing.stderr.contains("BACKUP_DIR from the environment"))

        let restore = try CLIRun.pra(["restore", "--file", "nope.sql.gz", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(restore.exitCode == 2)
        #expect(restore.stderr.contains(backups) && restore.stderr.contains("BACKUP_DIR"), "\(restore.stderr)")
    }

    @Test("a missing backup directory is its own error, naming BACKUP_DIR or --backup-dir")
    func missingBackupDirectory() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-nodir")
        let environment = CLIRun.bareEnvironment(["BACKUP_DIR": directory + "/missing"])
        let verify = try CLIRun.pra(["verify", "--all", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(verify.exitCode == 2)
        #expect(verify.stderr.contains("backup directory \(directory)/missing does not exist"), "\(verify.stderr)")
        #expect(verify.stderr.contains("BACKUP_DIR"))
        #expect(CLIRun.errorLines(verify).count == 1)

        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: true)
        let empty = try CLIRun.pra(["verify", "--all", "--env-file", "/dev/null", "--backup-dir", directory + "/empty"], in: directory, environment: environment)
        #expect(empty.exitCode == 1)
        #expect(empty.stderr.contains("no archives in \(directory)/empty (--backup-dir): it is empty"), "\(empty.stderr)")

        let option = try CLIRun.pra(["verify", "--all", "--env-file", "/dev/null", "--backup-dir", directory + "/elsewhere"], in: directory, environment: environment)
        #expect(option.exitCode == 2)
        #expect(option.stderr.contains("--backup-dir"))

        let restore = try CLIRun.pra(["restore", "--latest", "--env-file", "/dev/null"], in: directory, environment: CLIRun.bareEnvironment())
        #expect(restore.exitCode == 2)
        #expect(restore.stderr.contains("backup directory ./backups does not exist (the default; BACKUP_DIR is not set)"), "\(restore.stderr)")
    }
}
