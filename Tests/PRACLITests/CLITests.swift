import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

/// The `pra` executable run as cron runs it: exit codes, one-line errors, JSON, files left.
@Suite("pra executable", .requires(.postgresServer))
struct CLITests {
    @Test("--help teaches every subcommand")
    func help() throws {
        let result = try PraBinary.run(["--help"], environment: TestEnvironment.baseEnvironment())
        #expect(result.exitCode == 0)
        for word in ["backup", "verify", "restore", "status", "cluster", "fixtures", "Exit codes"] {
            #expect(result.stdout.contains(word), "--help lacks \(word)")
        }
        let backupHelp = try PraBinary.run(["backup", "--help"], environment: TestEnvironment.baseEnvironment())
        #expect(backupHelp.stdout.contains("gunzip -c"))
    }

    @Test("usage and configuration errors exit 2 with one line on stderr")
    func usageErrors() throws {
        let directory = TestEnvironment.temporaryDirectory("cliusage")
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory)
        let noArchive = try PraBinary.run(["verify"], environment: environment)
        #expect(noArchive.exitCode == 2)
        #expect(noArchive.stderr.contains("--all"))

        var badLevel = environment
        badLevel["BACKUP_COMPRESSION_LEVEL"] = "12"
        let level = try PraBinary.run(["backup", "--full"], environment: badLevel)
        #expect(level.exitCode == 2)
        #expect(level.stderr.contains("BACKUP_COMPRESSION_LEVEL=12"))
        #expect(level.stderr.split(separator: "\n").count == 1)

        // status: a configuration error is UNKNOWN (3), not a level (issue 9, row 10).
        let missingEnv = try PraBinary.run(["status", "--env-file", directory + "/nope.env"], environment: environment)
        #expect(missingEnv.exitCode == 3)
        #expect(missingEnv.stderr.contains("nope.env"))
    }

    @Test("backup → verify → restore → status through the binary, with JSON and a password kept out of sight")
    func roundTrip() throws {
        let database = try TestEnvironment.fixtureDatabase("cli", scale: 0.02)
        let directory = TestEnvironment.temporaryDirectory("cli")
        var environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: ["CRITICAL_TABLES": "users,payments", "DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        // trust auth ignores it, but it must not leak into output, reports or manifests.
        environment["PGPASSWORD"] = "hunter2-never-shown"

        let backup = try PraBinary.run(["backup", "--full", "--json"], environment: environment)
        #expect(backup.exitCode == 0, "\(backup.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(backup.stdout.utf8)) as? [String: Any]
        let archive = try #require(document?["archive"] as? String)
        #expect(FileManager.default.fileExists(atPath: archive))

        let verify = try PraBinary.run(["verify", "--all", "--json"], environment: environment)
        #expect(verify.exitCode == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("\"valid\" : true"))

        let restore = try PraBinary.run(["restore", "--latest", "--target-db", database + "_r"], environment: environment)
        #expect(restore.exitCode == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("report: "))

        let again = try PraBinary.run(["restore", "--latest", "--target-db", database + "_r"], environment: environment)
        #expect(again.exitCode == 2)
        #expect(again.stderr.contains("already exists"))

        let status = try PraBinary.run(["status"], environment: environment)
        #expect(status.exitCode == 0, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("pra status: OK"))

        let files = try FileManager.default.subpathsOfDirectory(atPath: directory)
        for file in files where !file.hasSuffix(".gz") {
            let text = (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)) ?? ""
            #expect(!text.contains("hunter2"), "\(file) holds the password")
        }
        for output in [backup, verify, restore, again, status] {
            #expect(!output.stdout.contains("hunter2") && !output.stderr.contains("hunter2"))
        }
    }

    @Test("verify exits 1 naming the damage; status turns CRITICAL")
    func invalidArchive() throws {
        let database = try TestEnvironment.fixtureDatabase("clibad", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("clibad")
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        #expect(try PraBinary.run(["backup", "--full", "-q"], environment: environment).exitCode == 0)
        let archive = try #require(BackupCatalogue(directory: directory).newestComplete?.archivePath)
        try ArchiveCorruption.appendGarbage(bytes: 64).apply(to: archive)

        let verify = try PraBinary.run(["verify", "--all"], environment: environment)
        #expect(verify.exitCode == 1)
        #expect(verify.stderr.contains("64 bytes appended"))
        #expect(verify.stderr.contains((archive as NSString).lastPathComponent))

        let status = try PraBinary.run(["status"], environment: environment)
        #expect(status.exitCode == 1)
        #expect(status.stderr.contains("verification"))
    }

    @Test("status exits 1 when the server is down, 2 on a disk warning")
    func statusExitCodes() throws {
        let directory = TestEnvironment.temporaryDirectory("clistatus")
        var environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory)
        environment["PGPORT"] = "1"  // nothing listens on that socket
        let down = try PraBinary.run(["status"], environment: environment)
        #expect(down.exitCode == 1)
        #expect(down.stdout.contains("CRITICAL"))

        let database = try TestEnvironment.fixtureDatabase("cliwarn", scale: 0.01)
        let healthy = TestEnvironment.environment(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "100", "DISK_CRITICAL_PERCENT": "0"])
        #expect(try PraBinary.run(["backup", "-q"], environment: healthy).exitCode == 0)
        let warning = try PraBinary.run(["status", "--json"], environment: healthy)
        #expect(warning.exitCode == 2)
        #expect(warning.stdout.contains("\"level\" : \"WARNING\""))
    }

    @Test("cluster up prints variables that work; cluster down removes it")
    func clusterUpDown() throws {
        let up = try PraBinary.run(["cluster", "up"], environment: TestEnvironment.baseEnvironment())
        #expect(up.exitCode == 0, "\(up.stderr)")
        var variables: [String: String] = [:]
        for line in up.stdout.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            variables[String(pair[0])] = String(pair[1])
        }
        let directory = try #require(variables["PRA_CLUSTER_DIR"])
        TestEnvironment.removeClusterAtExit(directory)
        var environment = TestEnvironment.baseEnvironment()
        environment.merge(variables) { $1 }
        let status = try PraBinary.run(["status", "--json", "--backup-dir", TestEnvironment.temporaryDirectory("cluster-backups")], environment: environment)
        // The database check itself, not a substring that "unreachable" would match too.
        let document = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.stdout)\(status.stderr)")
        let checks = try #require(document["checks"] as? [[String: Any]])
        let database = try #require(checks.first { $0["name"] as? String == "database" })
        #expect(database["level"] as? String == "OK", "\(database)")
        let message = try #require(database["message"] as? String)
        #expect(message.contains(" reachable, PostgreSQL "), "\(message)")
        #expect(!message.contains("unreachable"))

        let down = try PraBinary.run(["cluster", "down"], environment: environment)
        #expect(down.exitCode == 0, "\(down.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test("Ctrl-C during a backup stops pg_dump and leaves no partial file")
    func interruptedBackup() throws {
        let database = try TestEnvironment.fixtureDatabase("cliint", scale: 0.5)
        // Under a loaded machine the backup may finish before the signal lands: try again then.
        var interrupted = false
        var directory = ""
        for _ in 0..<3 where !interrupted {
            directory = TestEnvironment.temporaryDirectory("cliint")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: PraBinary.path)
            process.arguments = ["backup", "--full", "--quiet"]
            process.environment = TestEnvironment.environment(database: database, backupDirectory: directory)
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let started = Date()
            while process.isRunning && Date().timeIntervalSince(started) < 60 {
                if ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).contains(where: { $0.hasSuffix(".partial") }) {
                    process.interrupt()
                    break
                }
                usleep(1000)
            }
            process.waitUntilExit()
            interrupted = process.terminationStatus == 128 + SIGINT
            if !interrupted {
                #expect(process.terminationStatus == 0, "the backup neither finished nor was interrupted")
            }
        }
        #expect(interrupted, "the backup finished before it could be interrupted, three times")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(!names.contains { $0.hasSuffix(".partial") }, "partial file left: \(names)")
        // Under load the signal can land after the manifest made the backup complete: that backup
        // then stays, whole. Never half of one (an archive without manifest, or the reverse).
        let archives = names.filter { $0.hasSuffix(".sql.gz") }
        #expect(archives.count == names.filter { $0.hasSuffix(".sql.gz.manifest.json") }.count, "half a backup left: \(names)")
        for archive in archives {
            #expect(ArchiveVerifier().verify(archivePath: directory + "/" + archive, manifestPath: directory + "/" + archive + BackupArchiveName.manifestSuffix, requireManifest: true).valid, "\(archive) left but not valid")
        }
        // pg_dump's session is gone too.
        var sessions = "1"
        for _ in 0..<100 {
            sessions = try TestEnvironment.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = '\(database)' AND application_name = 'pra-backup'", database: "postgres")
            if sessions == "0" { break }
            usleep(50_000)
        }
        #expect(sessions == "0")
    }
}
