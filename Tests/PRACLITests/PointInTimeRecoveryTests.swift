import Foundation
import PRACore
import PRAHarness
import PRATestSupport
import Testing

/// A scratch cluster that archives its WAL with the built `pra wal push` into its own backup
/// directory, holding a small fixture database.
final class ArchivingCluster {
    let cluster: ScratchCluster
    let backupDirectory: String
    let database: String
    let archive: WALArchive

    /// - Parameter dataChecksums: initdb with `--data-checksums`.
    init(label: String, dataChecksums: Bool = false) throws {
        let directory = TestEnvironment.temporaryDirectory(label)
        backupDirectory = directory
        archive = WALArchive(backupDirectory: directory)
        cluster = try ScratchCluster(
            settings: ScratchCluster.archivingSettings(praExecutable: PraBinary.path, backupDirectory: directory, archiveTimeout: 1), dataChecksums: dataChecksums,
            preparing: { try $0.grantServerAccess(to: directory) })
        database = try TestEnvironment.fixtureDatabase(label, scale: 0.01, on: cluster)
        try sql("CREATE TABLE pitr_marker (note text NOT NULL, written timestamptz NOT NULL DEFAULT clock_timestamp())")
    }

    var environment: [String: String] {
        TestEnvironment.environment(cluster: cluster, database: database, backupDirectory: backupDirectory, extra: ["CRITICAL_TABLES": "users,payments",
            // Shorter than the harness's 300 s: a base backup held up by failing archiving ends
            // with pra's own reason (and the server log's), not with the harness's SIGTERM.
            "ARCHIVE_WAIT_TIMEOUT": "2m"])
    }

    func pra(_ arguments: [String], extra: [String: String] = [:], timeout: Double = 300) throws -> PraBinary.Result {
        try PraBinary.run(arguments, environment: environment.merging(extra) { $1 }, timeout: timeout)
    }

    @discardableResult
    func sql(_ statement: String) throws -> String {
        try TestEnvironment.psql(statement, database: database, cluster: cluster)
    }

    /// Switches to a new segment and waits until the completed one is in the archive; returns its name.
    @discardableResult
    func switchAndWait() throws -> String {
        let name = try sql("SELECT pg_walfile_name(pg_switch_wal())")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let wal = WALFileName(name), (try? archive.find(wal)) ?? nil != nil { return name }
            usleep(100_000)
        }
        throw OperationFailure(stage: "test", message: "segment \(name) was not archived within 30 s; server log: \(cluster.logTail())")
    }

    /// A new data directory path whose parents the server's OS user can traverse.
    func targetDirectory(_ label: String) -> String {
        let parent = TestEnvironment.temporaryDirectory(label)
        chmod(parent, 0o755)
        return parent + "/data"
    }

    /// Stops whatever server a PITR left running on `directory`.
    func stopRecovered(_ directory: String) {
        let control = ServerControl(dataDirectory: directory, logFile: "/dev/null", binDirectory: ((try? PostgresBinaries().locate("pg_ctl")) as NSString?)?.deletingLastPathComponent ?? "", user: nil)
        if let pid = control.postmasterPID { kill(pid, SIGKILL) }
    }
}

@Suite("continuous archiving and point-in-time recovery on real PostgreSQL", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not installed"))
struct PointInTimeRecoveryTests {
    @Test("wal push: compressed, hashed, idempotent for the same content, refuses other content, other systems and bad names; wal get: quiet when missing, loud when corrupt")
    func pushAndGet() throws {
        let server = try ArchivingCluster(label: "walpush")
        try server.sql("CREATE TABLE marker(i int); INSERT INTO marker SELECT generate_series(1, 1000)")
        let name = try server.switchAndWait()
        let segment = try #require(WALFileName(name))
        let archived = try #require(try server.archive.find(segment))
        #expect((archived.path as NSString).lastPathComponent == "\(name)-\(archived.sha256).gz")
        #expect(archived.path.hasPrefix(server.backupDirectory + "/wal/" + String(name.prefix(16)) + "/"))
        let identity = try #require(try server.archive.identity())
        #expect(identity.segmentSize == 16 << 20)
        #expect(identity.systemIdentifier == (try TestEnvironment.psql("SELECT system_identifier FROM pg_control_system()", database: "postgres", cluster: server.cluster)))

        // The stock tools read it: gunzip gives back a segment whose SHA-256 is the one in the name.
        let work = TestEnvironment.temporaryDirectory("walget")
        let fetched = work + "/" + name
        let get = try server.pra(["wal", "get", name, fetched])
        #expect(get.exitCode == 0, "\(get.stderr)")
        #expect(try FileDigest(path: fetched) == FileDigest(size: 16 << 20, sha256: archived.sha256))
        let gunzip = try ExternalProcess(executable: "/bin/sh", arguments: ["-c", "gunzip -c \"$0\" | sha256sum", archived.path]).runChecked()
        #expect(gunzip.stdoutText.hasPrefix(archived.sha256))

        // Pushing the same content again succeeds without writing.
        let again = try server.pra(["wal", "push", fetched, "--json"])
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\"alreadyArchived\" : true"))
        let before = try FileDigest(path: archived.path)

        // Other content under the same name: refused, the archived file untouched.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: fetched))
        bytes[100_000] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: fetched))
        let collision = try server.pra(["wal", "push", fetched])
        #expect(collision.exitCode == 1)
        #expect(collision.stderr.contains("already archived with different content"), "\(collision.stderr)")
        #expect(try FileDigest(path: archived.path) == before)
        #expect(server.archive.files().filter { $0.name.text == name }.count == 1)

        // A segment of another database system: refused.
        var foreign = try Data(contentsOf: URL(fileURLWithPath: fetched))
        for index in 24..<32 { foreign[index] ^= 0x5a }
        let foreignPath = work + "/00000001000000000000FFFF"
        try foreign.write(to: URL(fileURLWithPath: foreignPath))
        let refused = try server.pra(["wal", "push", foreignPath])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("comes from database system"), "\(refused.stderr)")
        #expect(try server.archive.find(WALFileName("00000001000000000000FFFF")!) == nil)

        // Not a WAL file name: a usage error.
        #expect(try server.pra(["wal", "push", work + "/notes.txt"]).exitCode == 2)

        // Not archived: exit 1 and not a word (that is how recovery ends).
        let missing = try server.pra(["wal", "get", "0000000100000000000000AA", work + "/RECOVERYXLOG"])
        #expect(missing.exitCode == 1)
        #expect(missing.stderr.isEmpty, "\(missing.stderr)")

        // Corrupt in the archive: exit 126 (recovery stops with FATAL) naming it, nothing left at the destination.
        var damaged = try Data(contentsOf: URL(fileURLWithPath: archived.path))
        damaged[damaged.count / 2] ^= 0x10
        try damaged.write(to: URL(fileURLWithPath: archived.path))
        let corrupt = try server.pra(["wal", "get", name, work + "/RECOVERYXLOG"])
        #expect(corrupt.exitCode == 126)
        #expect(corrupt.stderr.contains(name) && corrupt.stderr.contains("corrupt"), "\(corrupt.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/RECOVERYXLOG"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).allSatisfy { !$0.hasSuffix(".partial") })
        let verify = try server.pra(["verify", "--wal"])
        #expect(verify.exitCode == 1)
        #expect(verify.stdout.contains("corrupt: \(name)"), "\(verify.stdout)")
    }

    @Test("wal get starts a prefetcher in the background that spools the next WAL_GET_PREFETCH segments while recovery replays; the next wal get renames its copy; a file found nowhere removes the spool; no prefetcher outlives its work")
    func localPrefetcher() throws {
        let server = try ArchivingCluster(label: "walprefetch")
        var names: [String] = []
        for round in 0..<6 {
            try server.sql("INSERT INTO pitr_marker (note) SELECT 'round \(round)' FROM generate_series(1, 1000)")
            names.append(try server.switchAndWait())
        }
        let pgWAL = TestEnvironment.temporaryDirectory("walprefetch-pgwal")
        let spool = pgWAL + "/.pra-wal-spool"
        let first = try server.pra(["wal", "get", names[0], pgWAL + "/RECOVERYXLOG", "--verbose"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(!first.stdout.contains("prefetched"), "\(first.stdout)")
        // The prefetcher works on after wal get returned.
        let deadline = Date().addingTimeInterval(30)
        func spooled() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter { !$0.hasPrefix(".") }.map { String($0.prefix(24)) }.sorted() }
        while Date() < deadline, spooled() != Array(names[1...4]) { usleep(20_000) }
        #expect(spooled() == Array(names[1...4]))
        let second = try server.pra(["wal", "get", names[1], pgWAL + "/RECOVERYXLOG", "--verbose"])
        #expect(second.exitCode == 0 && second.stdout.contains("(prefetched)"), "\(second.stdout) \(second.stderr)")
        let secondName = try #require(WALFileName(names[1]))
        let archived = try #require(try server.archive.find(secondName))
        var content = Data()
        _ = try server.archive.read(archived) { content.append(contentsOf: $0) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: pgWAL + "/RECOVERYXLOG")) == content)
        while Date() < deadline, spooled() != Array(names[2...5]) { usleep(20_000) }
        #expect(spooled() == Array(names[2...5]), "topped up after the second")

        let end = try server.pra(["wal", "get", "0000000100000000000000FF", pgWAL + "/RECOVERYXLOG"])
        #expect(end.exitCode == 1)
        #expect(!FileManager.default.fileExists(atPath: spool))
        let prefetchers = { () -> [String] in
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid -> String? in
                guard let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map({ String(decoding: $0, as: UTF8.self) }),
                      line.contains("--prefetch"), line.contains(pgWAL) else { return nil }
                return line
            }
        }
        while Date() < deadline, !prefetchers().isEmpty { usleep(20_000) }
        #expect(prefetchers().isEmpty, "a prefetcher is still running")
    }

    @Test("base backup, incremental, then recovery to the moment before a bad delete brings the rows back; latest replays the delete")
    func undoBadDelete() throws {
        let server = try ArchivingCluster(label: "pitr")
        let base = try server.pra(["backup", "--base", "--json"])
        #expect(base.exitCode == 0, "\(base.stderr)")
        #expect(base.stdout.contains("\"startSegment\""))
        let manifest = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete?.manifest)
        #expect(FileManager.default.fileExists(atPath: server.backupDirectory + "/" + manifest.postgresManifest))
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory).allSatisfy { !$0.hasSuffix(".partial") })

        let payments = try server.sql("SELECT count(*) FROM payments")
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'after base' FROM generate_series(1, 5)")
        usleep(1_100_000)
        let beforeDelete = Date()
        usleep(1_100_000)
        try server.sql("TRUNCATE payments CASCADE")
        let incremental = try server.pra(["backup", "--incremental", "--json"])
        #expect(incremental.exitCode == 0, "\(incremental.stderr)")
        #expect(incremental.stdout.contains("\"safeBefore\""))

        let verify = try server.pra(["verify", "--all"])
        #expect(verify.exitCode == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.contains("can restore to any moment between"), "\(verify.stdout)")

        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let target = server.targetDirectory("pitr-target")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--target-time", formatter.string(from: beforeDelete)])
        #expect(restore.exitCode == 0, "\(restore.stdout) \(restore.stderr)")
        #expect(restore.stdout.contains("export PGPORT="))
        let port = try #require(restore.stdout.split(separator: "\n").first { $0.hasPrefix("export PGPORT=") }.map { String($0.dropFirst("export PGPORT=".count)) })
        let recovered = ConnectionSettings(parameters: ["host": target, "port": port, "user": "postgres", "dbname": server.database])
        let connection = try PostgresConnection(recovered, applicationName: "test")
        #expect(try connection.scalar("SELECT count(*) FROM payments") == payments)
        #expect(try connection.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'after base'") == "5")
        #expect(try connection.scalar("SELECT pg_is_in_recovery()") == "f")
        let report = try #require(try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory + "/reports").first { $0.hasPrefix("pra_restore_report_") })
        let text = try String(contentsOfFile: server.backupDirectory + "/reports/" + report, encoding: .utf8)
        #expect(text.contains("recovery: point in time"))
        #expect(text.contains("✓ critical tables"))
        server.stopRecovered(target)

        let latest = server.targetDirectory("pitr-latest")
        let toLatest = try server.pra(["restore", "--pitr", "--target-dir", latest, "--stop", "--json"])
        #expect(toLatest.exitCode == 0, "\(toLatest.stdout) \(toLatest.stderr)")
        #expect(toLatest.stdout.contains("all archived WAL replayed"))
        #expect(toLatest.stdout.contains("\"serverRunning\" : false"))
    }

    @Test("restore --pitr: a report that cannot be written is an error (exit 1) naming REPORT_DIR and reportError in --json, never swallowed; the recovery itself stands")
    func pointInTimeReportUnwritable() throws {
        let server = try ArchivingCluster(label: "pitrreport")
        let base = try server.pra(["backup", "--base"])
        #expect(base.exitCode == 0, "\(base.stderr)")
        let blocker = server.backupDirectory + "/not-a-directory"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let target = server.targetDirectory("pitrreport-target")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop", "--json"], extra: ["REPORT_DIR": blocker + "/reports"])
        #expect(restore.exitCode == 1, "\(restore.stdout) \(restore.stderr)")
        #expect(restore.stderr.contains("pra: error: the restore completed, but cannot write the restore report in REPORT_DIR=\(blocker)/reports"), "\(restore.stderr)")
        #expect(!restore.stderr.contains("pra: warning: cannot write the restore report"), "one line, not two: \(restore.stderr)")
        #expect(restore.stdout.contains("\"reportError\" : \"cannot write the restore report in REPORT_DIR=\(blocker)/reports"), "\(restore.stdout)")
        #expect(!restore.stdout.contains("\"reportFile\""), "\(restore.stdout)")
        #expect(restore.stdout.contains("\"succeeded\" : true"), "\(restore.stdout)")
    }

    @Test("a base backup while archive_command fails stops with the reason instead of waiting for ever, leaving no archive")
    func baseBackupWhileArchivingFails() throws {
        let server = try ArchivingCluster(label: "bbstall")
        try server.switchAndWait()
        // The archive unwritable for the server's OS user: every archive_command fails.
        let root = server.archive.root
        let directories = [root] + (try FileManager.default.contentsOfDirectory(atPath: root)).map { root + "/" + $0 }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        for directory in directories { chmod(directory, 0o555) }
        defer { for directory in directories { chmod(directory, 0o750) } }
        let before = try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory).sorted()
        let backup = try server.pra(["backup", "--base"], extra: ["ARCHIVE_WAIT_TIMEOUT": "5s"], timeout: 600)
        #expect(backup.exitCode == 1, "\(backup.stdout) \(backup.stderr)")
        #expect(backup.stderr.contains("archive_command has been failing for"), "\(backup.stderr)")
        #expect(backup.stderr.contains("ARCHIVE_WAIT_TIMEOUT=5.0s"), "\(backup.stderr)")
        #expect(backup.stderr.contains("a base backup cannot complete until the WAL it needs is archived"), "\(backup.stderr)")
        // Nothing that looks like a backup, no partial file: the directory is as it was (the lock aside).
        let after = try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory).filter { $0 != ".pra-backup.lock" }.sorted()
        #expect(after == before.filter { $0 != ".pra-backup.lock" }, "\(after)")
    }

    @Test("refusals: target in the future, before the oldest base backup, non-empty directory")
    func refusals() throws {
        let server = try ArchivingCluster(label: "pitrno")
        // No base backup at all: a setup problem (exit 2) that says what base backups need; no directory, no report.
        let noneTarget = server.targetDirectory("pitrno-none")
        let none = try server.pra(["restore", "--pitr", "--target-dir", noneTarget])
        #expect(none.exitCode == 2)
        #expect(none.stderr.contains("no complete base backup") && none.stderr.contains("archive_mode = on"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: noneTarget))
        #expect(!none.stdout.contains("report:") && !none.stderr.contains("report:"))
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        let future = try server.pra(["restore", "--pitr", "--target-dir", server.targetDirectory("pitrno-f"), "--target-time", "2099-01-01T00:00:00Z"])
        #expect(future.exitCode == 2)
        #expect(future.stderr.contains("in the future"), "\(future.stderr)")
        let early = try server.pra(["restore", "--pitr", "--target-dir", server.targetDirectory("pitrno-e"), "--target-time", "2020-01-01T00:00:00Z"])
        #expect(early.exitCode == 1)
        #expect(early.stderr.contains("before the oldest base backup"), "\(early.stderr)")
        let occupied = TestEnvironment.temporaryDirectory("pitrno-o")
        try "keep me".write(toFile: occupied + "/notes.txt", atomically: true, encoding: .utf8)
        let refused = try server.pra(["restore", "--pitr", "--target-dir", occupied])
        #expect(refused.exitCode == 2)
        #expect(refused.stderr.contains("is not empty"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: occupied + "/notes.txt", encoding: .utf8) == "keep me")
        #expect(try server.pra(["restore", "--pitr"]).exitCode == 2)
        if TestEnvironment.isRoot {
            let hidden = TestEnvironment.temporaryDirectory("pitrno-h")
            let unreachable = try server.pra(["restore", "--pitr", "--target-dir", hidden + "/data"])
            #expect(unreachable.exitCode == 2)
            #expect(unreachable.stderr.contains("cannot reach") && unreachable.stderr.contains(hidden), "\(unreachable.stderr)")
        }
        #expect(try server.pra(["restore", "--target-time", "2026-01-01T00:00:00Z"]).exitCode == 2)
    }

    @Test("a missing WAL segment: verify and status report the gap, recovery past it names the segment and the latest reachable time")
    func missingSegment() throws {
        let server = try ArchivingCluster(label: "walgap")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('one')")
        let lost = try server.switchAndWait()
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('two')")
        try server.switchAndWait()
        usleep(1_100_000)
        let afterAll = Date()
        let lostName = try #require(WALFileName(lost))
        let file = try #require(try server.archive.find(lostName))
        try FileManager.default.removeItem(atPath: file.path)

        let verify = try server.pra(["verify", "--wal"])
        #expect(verify.exitCode == 1)
        #expect(verify.stdout.contains("WAL segment \(lost) is missing"), "\(verify.stdout)")
        let status = try server.pra(["status"])
        #expect(status.exitCode == 1)
        #expect(status.stdout.contains("recoverable") && status.stdout.contains(lost), "\(status.stdout)")

        let target = server.targetDirectory("walgap-t")
        let formatter = ISO8601DateFormatter()
        let pastGap = try server.pra(["restore", "--pitr", "--target-dir", target, "--target-time", formatter.string(from: afterAll)])
        #expect(pastGap.exitCode == 1)
        #expect(pastGap.stderr.contains("segment \(lost) is missing"), "\(pastGap.stderr)")
        #expect(pastGap.stderr.contains("the latest point it can reach is about"), "\(pastGap.stderr)")
        // The directory the failed restore created is gone: nothing half-restored stays behind.
        #expect(!FileManager.default.fileExists(atPath: target))

        let latest = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop"])
        #expect(latest.exitCode == 1)
        #expect(latest.stdout.contains("\(lost) is missing") || latest.stderr.contains("\(lost) is missing"), "\(latest.stdout) \(latest.stderr)")
        server.stopRecovered(target)
    }

    @Test("archiving that fails turns status CRITICAL, and nothing is lost once it is fixed")
    func archivingFails() throws {
        let server = try ArchivingCluster(label: "walfail")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        let subdirectory = try #require(try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory + "/wal").first { $0.hasPrefix("0") })
        let locked = server.backupDirectory + "/wal/" + subdirectory
        chmod(locked, 0o555)
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('blocked')")
        let pending = try server.sql("SELECT pg_walfile_name(pg_switch_wal())")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try server.sql("SELECT failed_count FROM pg_stat_archiver") == "0" { usleep(100_000) }
        let status = try server.pra(["status"])
        #expect(status.exitCode == 1)
        #expect(status.stdout.contains("archive_command is failing"), "\(status.stdout)")
        let nagios = try server.pra(["status", "--nagios"])
        #expect(nagios.exitCode == 2)
        #expect(nagios.stdout.contains("archiver_failing=1"), "\(nagios.stdout)")
        let metrics = server.backupDirectory + "/pra.prom"
        #expect(try server.pra(["status", "--prometheus", metrics]).exitCode == 1)
        let exposition = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(exposition.contains("pra_archiver_failing 1"), "\(exposition)")
        #expect(exposition.contains("pra_wal_archive_age_seconds "))
        #expect(exposition.contains("pra_check_level{check=\"archiving\"} 2"))

        chmod(locked, 0o750)
        let fixed = Date().addingTimeInterval(60)
        while Date() < fixed, (try? server.archive.find(WALFileName(pending)!)) ?? nil == nil {
            try server.sql("SELECT pg_switch_wal()")
            usleep(500_000)
        }
        #expect(try server.archive.find(WALFileName(pending)!) != nil)
        let verify = try server.pra(["verify", "--wal"])
        #expect(verify.exitCode == 0, "\(verify.stdout)")
    }

    @Test("retention keeps BASE_BACKUP_MIN_KEEP base backups and the WAL they need, removes older WAL, keeps timeline history")
    func retention() throws {
        let server = try ArchivingCluster(label: "walret")
        let keepOne = ["BASE_BACKUP_RETENTION_DAYS": "0", "BASE_BACKUP_MIN_KEEP": "1"]
        #expect(try server.pra(["backup", "--base"], extra: keepOne).exitCode == 0)
        try server.switchAndWait()
        sleep(1)
        let second = try server.pra(["backup", "--base", "--json"], extra: keepOne)
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(second.stdout.contains("\"deletedByRetention\" : [\n    \""), "\(second.stdout)")
        let bases = BaseBackupCatalogue(directory: server.backupDirectory).entries
        #expect(bases.count == 1)
        let startText = try #require(bases.first?.manifest?.startSegment)
        let start = try #require(WALFileName(startText))
        let remaining = server.archive.files().filter { $0.name.kind == .segment }
        #expect(!remaining.isEmpty)
        #expect(remaining.allSatisfy { $0.name.segmentNumber(segmentSize: 16 << 20)! >= start.segmentNumber(segmentSize: 16 << 20)! })
        #expect(try server.pra(["verify", "--all"]).exitCode == 0)
    }
}

@Suite("archiving after a point-in-time recovery, and off-site WAL copies", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not installed"))
struct ArchivingAfterRecoveryTests {
    @Test("a recovered server started with --archive pushes its timeline history; a later recovery follows the new timeline")
    func newTimeline() throws {
        let server = try ArchivingCluster(label: "waltl")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('timeline 1')")
        try server.switchAndWait()
        let target = server.targetDirectory("waltl-r")
        defer { server.stopRecovered(target) }
        let recovered = try server.pra(["restore", "--pitr", "--target-dir", target, "--archive"])
        #expect(recovered.exitCode == 0, "\(recovered.stdout) \(recovered.stderr)")
        let port = try #require(recovered.stdout.split(separator: "\n").first { $0.hasPrefix("export PGPORT=") }.map { String($0.dropFirst("export PGPORT=".count)) })
        let connection = try PostgresConnection(ConnectionSettings(parameters: ["host": target, "port": port, "user": "postgres", "dbname": server.database]), applicationName: "test")
        try connection.execute("INSERT INTO pitr_marker (note) VALUES ('timeline 2')")
        let switched = try #require(try connection.scalar("SELECT pg_walfile_name(pg_switch_wal())"))
        #expect(switched.hasPrefix("00000002"))
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try? server.archive.find(WALFileName(switched)!)) ?? nil == nil { usleep(100_000) }
        let names = server.archive.files().map(\.name)
        #expect(names.contains { $0.kind == .history && $0.text == "00000002.history" }, "\(names)")
        #expect(names.contains { $0.text == switched }, "\(names)")
        server.stopRecovered(target)

        // The newest timeline is followed: the row written on timeline 2 comes back.
        let again = server.targetDirectory("waltl-r2")
        defer { server.stopRecovered(again) }
        let latest = try server.pra(["restore", "--pitr", "--target-dir", again])
        #expect(latest.exitCode == 0, "\(latest.stdout) \(latest.stderr)")
        let port2 = try #require(latest.stdout.split(separator: "\n").first { $0.hasPrefix("export PGPORT=") }.map { String($0.dropFirst("export PGPORT=".count)) })
        let second = try PostgresConnection(ConnectionSettings(parameters: ["host": again, "port": port2, "user": "postgres", "dbname": server.database]), applicationName: "test")
        #expect(try second.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'timeline 2'") == "1")
        let verify = try server.pra(["verify", "--wal"])
        #expect(verify.exitCode == 0, "\(verify.stdout)")
    }

    @Test("wal push copies each file to REMOTE_TARGET/wal and reads it back; an unreachable copy fails the push so PostgreSQL retries")
    func remoteCopy() throws {
        let server = try ArchivingCluster(label: "walremote")
        let name = try server.switchAndWait()
        let archived = try #require(try server.archive.find(WALFileName(name)!))
        let work = TestEnvironment.temporaryDirectory("walremote-w")
        let segment = work + "/" + name
        #expect(try server.pra(["wal", "get", name, segment]).exitCode == 0)
        let remote = TestEnvironment.temporaryDirectory("walremote-r")
        let pushed = try server.pra(["wal", "push", segment, "--json"], extra: ["REMOTE_TARGET": remote])
        #expect(pushed.exitCode == 0, "\(pushed.stderr)")
        #expect(pushed.stdout.contains("\"remoteTarget\" : \"\(remote)/wal\""), "\(pushed.stdout)")
        let copy = remote + "/wal/" + (archived.path as NSString).lastPathComponent
        #expect(try FileDigest(path: copy) == FileDigest(path: archived.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: remote + "/wal").allSatisfy { !$0.hasSuffix(".partial") })
        // The off-site marker names this cluster; a target holding another cluster's WAL is refused by every push.
        let marker = try JSONCoding.decoder.decode(WALArchive.Identity.self, from: Data(contentsOf: URL(fileURLWithPath: remote + "/wal/archive.json")))
        #expect(marker.systemIdentifier == (try server.archive.identity())?.systemIdentifier)
        let shared = TestEnvironment.temporaryDirectory("walremote-shared")
        try FileManager.default.createDirectory(atPath: shared + "/wal", withIntermediateDirectories: true)
        var other = marker
        other.systemIdentifier = "7000000000000000009"
        try JSONCoding.encoder.encode(other).write(to: URL(fileURLWithPath: shared + "/wal/archive.json"))
        let mixed = try server.pra(["wal", "push", segment], extra: ["REMOTE_TARGET": shared])
        #expect(mixed.exitCode == 1)
        #expect(mixed.stderr.contains("7000000000000000009") && mixed.stderr.contains(marker.systemIdentifier), "\(mixed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: shared + "/wal") == ["archive.json"])

        // A promotion's partial segment (PostgreSQL archives it as <segment>.partial): archived under its own name.
        let partial = work + "/" + name + ".partial"
        try FileManager.default.copyItem(atPath: segment, toPath: partial)
        #expect(try server.pra(["wal", "push", partial]).exitCode == 0)
        #expect(try server.archive.find(WALFileName(name + ".partial")!)?.sha256 == archived.sha256)

        let blocked = remote + "/file-not-dir"
        try "x".write(toFile: blocked, atomically: true, encoding: .utf8)
        let failed = try server.pra(["wal", "push", segment], extra: ["REMOTE_TARGET": blocked])
        #expect(failed.exitCode == 1)
        #expect(failed.stderr.contains("archived locally but the copy to"), "\(failed.stderr)")
        #expect(try server.archive.find(WALFileName(name)!) != nil)
    }
}
