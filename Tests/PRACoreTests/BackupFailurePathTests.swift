import Foundation
import PRATestSupport
import Testing

@testable import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// Backup failure paths the happy-path tests never reach: each asserts the failure (stage and
/// message key words), that the earlier backups are intact, and that no archive, partial file
/// or half backup is left behind.
@Suite("backup failure paths", .requires(.postgresServer))
struct BackupFailurePathTests {
    /// Names in `directory` (none when it does not exist).
    static func names(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    @Test("pg_dump exiting 0 without its completion trailer fails the backup (stage dump); no archive, no partial, no manifest")
    func pgDumpWithoutTrailer() throws {
        let database = try TestEnvironment.fixtureDatabase("notrailer", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("notrailer")
        // A pg_dump that exits 0 but stops short of its last lines: the real one, its output cut.
        let bin = TestEnvironment.temporaryDirectory("notrailerbin")
        let real = try PostgresBinaries().locate("pg_dump")
        try """
            #!/bin/sh
            case "$1" in --version|-V) exec '\(real)' "$@" ;; esac
            '\(real)' "$@" | sed '/\(ArchiveVerifier.dumpTrailer)/,$d'
            exit 0

            """.write(toFile: bin + "/pg_dump", atomically: true, encoding: .utf8)
        chmod(bin + "/pg_dump", 0o755)
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PG_BIN_DIR": bin])
        let failure = try #require(throws: OperationFailure.self) { try BackupOperation(configuration: configuration).run() }
        #expect(failure.stage == "dump")
        #expect(failure.message.contains("pg_dump exited 0 but its output lacks the completion trailer"), "\(failure.message)")
        #expect(Self.names(directory).filter { $0 != ".pra-backup.lock" && !$0.hasPrefix(".pra-lock") }.allSatisfy { !$0.contains(".sql.gz") }, "\(Self.names(directory))")

        // The same database backs up fine with the real pg_dump.
        let good = try BackupOperation(configuration: try TestEnvironment.configuration(database: database, backupDirectory: directory)).run()
        #expect(BackupCatalogue(directory: directory).complete.map(\.archivePath) == [good.archive])
    }

    @Test("the manifest write failing removes the archive (stage manifest); earlier backups intact, no partial left")
    func manifestWriteFails() throws {
        let database = try TestEnvironment.fixtureDatabase("nomanifest", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("nomanifest")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["BACKUP_PREFIX": "nomanifest"])
        let earlier = try BackupOperation(configuration: configuration).run()
        let earlierDigest = try FileDigest(path: earlier.archive)

        // The manifest is written to .<archive>.manifest.json.partial, then renamed: a non-empty
        // directory in that place makes the write fail, for every name the next two minutes could take.
        var blockers: [String] = []
        let now = Date().timeIntervalSince1970.rounded(.down)
        for second in 0..<120 {
            let name = BackupArchiveName(prefix: "nomanifest", timestamp: Date(timeIntervalSince1970: now + Double(second))).fileName
            let blocker = directory + "/." + name + BackupArchiveName.manifestSuffix + ".partial"
            try FileManager.default.createDirectory(atPath: blocker + "/keep", withIntermediateDirectories: true)
            blockers.append(blocker)
        }
        let failure = try #require(throws: OperationFailure.self) { try BackupOperation(configuration: configuration).run() }
        #expect(failure.stage == "manifest")
        #expect(failure.message.contains(".manifest.json"), "\(failure.message)")
        for blocker in blockers { try FileManager.default.removeItem(atPath: blocker) }

        let left = Self.names(directory).filter { $0.contains(".sql.gz") }
        #expect(Set(left) == [(earlier.archive as NSString).lastPathComponent, (earlier.manifest as NSString).lastPathComponent], "archive without manifest or partial left: \(left)")
        #expect(try FileDigest(path: earlier.archive) == earlierDigest)
        #expect(BackupCatalogue(directory: directory).complete.map(\.archivePath) == [earlier.archive])
    }

    @Test("retention unable to delete an expired backup is a warning naming the file and reason; the new backup is complete")
    func retentionCannotDelete() throws {
        let database = try TestEnvironment.fixtureDatabase("retentionstuck", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("retentionstuck")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["BACKUP_RETENTION_DAYS": "30", "BACKUP_MIN_KEEP": "1"])
        let fresh = try BackupOperation(configuration: configuration).run()
        // A complete backup from 40 days ago whose verification record cannot be removed
        // (a non-empty directory in its place: unlink fails with EISDIR, even for root).
        let name = BackupArchiveName(prefix: database, timestamp: Date().addingTimeInterval(-40 * 86400))
        let old = directory + "/" + name.fileName
        try FileManager.default.copyItem(atPath: fresh.archive, toPath: old)
        try FileManager.default.copyItem(atPath: fresh.manifest, toPath: old + BackupArchiveName.manifestSuffix)
        let stuck = old + BackupArchiveName.verificationSuffix
        try FileManager.default.createDirectory(atPath: stuck + "/keep", withIntermediateDirectories: true)

        let next = try BackupOperation(configuration: configuration).run()
        let warning = try #require(next.warnings.first, "no warning for the file retention could not delete")
        #expect(warning.contains("retention could not delete \(stuck)"), "\(warning)")
        #expect(warning.contains("Is a directory"), "\(warning)")
        #expect(next.deletedByRetention == [name.fileName])
        #expect(!FileManager.default.fileExists(atPath: old + BackupArchiveName.manifestSuffix), "the manifest goes first")
        #expect(Set(BackupCatalogue(directory: directory).complete.map(\.archivePath)) == [fresh.archive, next.archive], "both recent backups stay")
    }

    /// The state letter of /proc/<pid>/stat (R, S, T...), `nil` once the process is gone.
    static func state(_ pid: pid_t) -> Character? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    }

    @Test("an interrupt between the archive's rename and its manifest leaves no archive without manifest (and no manifest without archive)")
    func interruptBetweenRenameAndManifest() throws {
        let database = try TestEnvironment.fixtureDatabase("renameint", scale: 0.01)
        var caught = false
        var attempts = 0
        while !caught && attempts < 30 {
            attempts += 1
            let directory = TestEnvironment.temporaryDirectory("renameint")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: PraBinary.path)
            process.arguments = PraBinary.sealed(["backup", "--full", "--quiet"])
            process.environment = TestEnvironment.environment(database: database, backupDirectory: directory)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let pid = process.processIdentifier
            // Wait for the archive being written, then run the process in short slices (SIGSTOP /
            // SIGCONT) until it is stopped with the archive renamed and no manifest yet.
            while process.isRunning && !Self.names(directory).contains(where: { $0.hasSuffix(".sql.gz.partial") }) { usleep(100) }
            while process.isRunning {
                kill(pid, SIGSTOP)
                var spins = 0
                while let state = Self.state(pid), state != "T", state != "Z", spins < 100_000 { spins += 1 }
                let names = Self.names(directory)
                let renamed = names.contains { $0.hasSuffix(".sql.gz") }
                let manifest = names.contains { $0.hasSuffix(".sql.gz.manifest.json") }
                if renamed && !manifest {
                    caught = true
                    kill(pid, SIGINT)
                    kill(pid, SIGCONT)
                    break
                }
                kill(pid, SIGCONT)
                if manifest { break }
                usleep(30)
            }
            process.waitUntilExit()
            guard caught else { continue }
            // 130 as a rule; 1 when the interrupt's cleanup removed the manifest's temporary file
            // under the manifest write, which then fails and reports itself first. Either way clean:
            #expect([128 + SIGINT, 1].contains(process.terminationStatus), "exit \(process.terminationStatus)")
            let names = Self.names(directory)
            let archives = names.filter { $0.hasSuffix(".sql.gz") }, manifests = names.filter { $0.hasSuffix(".sql.gz.manifest.json") }
            #expect(!names.contains { $0.hasSuffix(".partial") }, "partial file left: \(names)")
            // Either the manifest made it complete before the interrupt ran, or neither is left.
            #expect(archives.count == manifests.count, "half a backup left: \(names)")
            if let archive = archives.first {
                #expect(ArchiveVerifier().verify(archivePath: directory + "/" + archive, manifestPath: directory + "/" + archive + BackupArchiveName.manifestSuffix, requireManifest: true).valid)
            }
        }
        #expect(caught, "never stopped the backup between the rename and the manifest in \(attempts) attempts")
    }
}
