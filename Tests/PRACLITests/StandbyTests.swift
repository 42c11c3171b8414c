import Foundation
import PRACore
import PRATestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `pra standby create/status/stop/remove`, `pra status --standby` and the promotion API
/// (`StandbyPromotion`) on a real archiving PostgreSQL and real standbys replaying its archive.
@Suite("warm standby replaying the WAL archive, on real PostgreSQL", .serialized, .requires(.postgresServer))
struct StandbyTests {
    /// A connection to the standby (or promoted server) `record` describes.
    static func connect(_ record: StandbyRecord, _ server: ArchivingCluster) throws -> PostgresConnection {
        try PostgresConnection(ConnectionSettings(parameters: ["host": record.socketDirectory, "port": "\(record.port)", "user": "postgres", "dbname": server.database]), applicationName: "test")
    }

    /// Waits until `query` on the standby returns `expected` (within `seconds`); returns the seconds it took.
    @discardableResult
    static func waitFor(_ query: String, _ expected: String, on record: StandbyRecord, _ server: ArchivingCluster, seconds: Double = 60) throws -> Double {
        let started = Date()
        var last: String?
        while Date().timeIntervalSince(started) < seconds {
            if let connection = try? connect(record, server) { last = (try? connection.scalar(query)) ?? nil }
            if last == expected { return Date().timeIntervalSince(started) }
            usleep(100_000)
        }
        Issue.record("\(query) gave \(last ?? "nothing") on the standby, not \(expected), within \(seconds) s")
        return seconds
    }

    static func configuration(_ server: ArchivingCluster, extra: [String: String] = [:]) throws -> Configuration {
        try Configuration(envFile: TestEnvironment.noEnvFile, environment: server.environment.merging(extra) { $1 })
    }

    @Test("create from the local base backup: standby.signal, restore_command through pra wal get, no recovery target; new writes on the primary appear within seconds; status OK and promotable; primary lost, promote: writes accepted, RPO within archive_timeout + 2 s, RTO well under 15 s")
    func createReplicatePromote() throws {
        let server = try ArchivingCluster(label: "standby")
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'before base' FROM generate_series(1, 3)")
        let base = try server.pra(["backup", "--base"])
        #expect(base.exitCode == 0, "\(base.stderr)")
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'after base' FROM generate_series(1, 5)")
        try server.switchAndWait()

        let target = server.targetDirectory("standby-target")
        defer { server.stopRecovered(target) }
        let create = try server.pra(["standby", "create", "--target-dir", target, "--json"])
        #expect(create.exitCode == 0, "\(create.stdout) \(create.stderr)")
        let record = try StandbyRecord.load(from: target)
        #expect(create.stdout.contains("\"baseBackup\" : \"\(record.baseBackup)\""), "\(create.stdout)")
        #expect(record.systemIdentifier == (try TestEnvironment.psql("SELECT system_identifier FROM pg_control_system()", database: "postgres", cluster: server.cluster)))
        #expect(FileManager.default.fileExists(atPath: target + "/standby.signal"))
        #expect(!FileManager.default.fileExists(atPath: target + "/recovery.signal"))
        let autoConf = try String(contentsOfFile: target + "/postgresql.auto.conf", encoding: .utf8)
        #expect(autoConf.contains("restore_command = ") && autoConf.contains(" wal get ") && autoConf.contains("--env-file"), "\(autoConf)")
        for setting in ["recovery_target_time =", "recovery_target_action", "recovery_target_lsn", "recovery_target_name", "recovery_target ="] {
            #expect(!autoConf.contains(setting), "\(setting) in \(autoConf)")
        }
        try Self.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'after base'", "5", on: record, server)
        let standby = try Self.connect(record, server)
        #expect(try standby.scalar("SELECT pg_is_in_recovery()") == "t")
        #expect(try standby.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'before base'") == "3")
        // As root the standby runs as the server's account, never as root.
        #expect(try standby.scalar("SELECT current_setting('data_directory')") == target)

        // A write on the primary reaches the standby through the archive (archive_timeout = 1 s).
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('live')")
        let delay = try Self.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'live'", "1", on: record, server, seconds: 30)
        print("standby: a primary write visible on the standby after \(String(format: "%.2f", delay)) s (archive_timeout 1 s)")
        #expect(delay < 10)

        let status = try server.pra(["standby", "status", "--target-dir", target])
        #expect(status.exitCode == 0, "\(status.stdout) \(status.stderr)")
        #expect(status.stdout.contains(": OK") && status.stdout.contains(", promotable") && status.stdout.contains("(same as the archive)"), "\(status.stdout)")
        let viaStatus = try server.pra(["status", "--standby", target, "--json"])
        #expect(viaStatus.exitCode == 0, "\(viaStatus.stdout) \(viaStatus.stderr)")
        #expect(viaStatus.stdout.contains("\"promotable\" : true") && viaStatus.stdout.contains("\"inRecovery\" : true") && viaStatus.stdout.contains("\"lagSegments\""), "\(viaStatus.stdout)")

        // Writes go on on the primary until it is lost (immediate stop: its unarchived WAL is gone).
        let primary = try PostgresConnection(ConnectionSettings(parameters: server.cluster.environment.reduce(into: ["dbname": server.database]) { result, pair in
            if pair.key == "PGHOST" { result["host"] = pair.value } else if pair.key == "PGPORT" { result["port"] = pair.value } else if pair.key == "PGUSER" { result["user"] = pair.value }
        }), applicationName: "test")
        var lastCommit = 0.0
        let writing = Date()
        while Date().timeIntervalSince(writing) < 4 {
            lastCommit = Double(try primary.scalar("INSERT INTO pitr_marker (note) VALUES ('stream') RETURNING extract(epoch FROM written)::float8") ?? "0") ?? 0
            usleep(50_000)
        }
        try server.cluster.stop(.immediate)

        let configuration = try Self.configuration(server)
        let promotion = StandbyPromotion(configuration: configuration, dataDirectory: target)
        let before = try promotion.inspect()
        #expect(before.promotable, "\(before.headline)")
        let result = try promotion.promote()
        #expect(result.port == record.port && result.host == record.socketDirectory)
        #expect((result.timeline ?? 0) >= 2, "a promoted server writes on a new timeline")
        let promoted = try Self.connect(record, server)
        #expect(try promoted.scalar("SELECT pg_is_in_recovery()") == "f")
        try promoted.execute("INSERT INTO pitr_marker (note) VALUES ('after promotion')")
        #expect(try promoted.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'live'") == "1")
        let newest = Double(try promoted.scalar("SELECT extract(epoch FROM max(written))::float8 FROM pitr_marker WHERE note = 'stream'") ?? "0") ?? 0
        let rpo = lastCommit - newest
        print("standby: promote() to accepting writes \(String(format: "%.2f", result.secondsToWritable)) s (pg_ctl promote \(String(format: "%.2f", result.promoteCommandSeconds)) s); RPO \(String(format: "%.2f", rpo)) s with archive_timeout 1 s")
        #expect(result.secondsToWritable < 15)
        #expect(rpo >= 0 && rpo <= 3, "RPO \(rpo) s: more than archive_timeout + 2 s")
        if let point = result.recoveryPointAt { #expect(abs(point.timeIntervalSince1970 - newest) < 1, "recovery point \(point) vs newest replayed write \(newest)") }

        // Promoted: no standby any more (status CRITICAL), never removed, its env file gone.
        let after = try server.pra(["standby", "status", "--target-dir", target])
        #expect(after.exitCode == 1 && after.stdout.contains("it is the primary now"), "\(after.stdout) \(after.stderr)")
        let remove = try server.pra(["standby", "remove", "--target-dir", target])
        #expect(remove.exitCode == 2 && remove.stderr.contains("is a primary now"), "\(remove.stderr)")
        #expect(FileManager.default.fileExists(atPath: target + "/PG_VERSION"))
        #expect(record.environmentFile == "/dev/null", "no REMOTE_TARGET: nothing to hand to pra wal get")
        let again = try StandbyRecord.load(from: target)
        #expect(again.promotedAt != nil)
        #expect(throws: OperationFailure.self) { try promotion.promote() }
    }

    @Test("create refuses a backup directory without a base backup and a non-empty directory, exit 2 with the reason, creating nothing; status on a directory that is no standby is exit 3")
    func refusals() throws {
        let server = try ArchivingCluster(label: "standbyrefuse")
        let fresh = server.targetDirectory("standbyrefuse-none")
        let none = try server.pra(["standby", "create", "--target-dir", fresh])
        #expect(none.exitCode == 2, "\(none.stdout) \(none.stderr)")
        #expect(none.stderr.contains("no complete base backup in \(server.backupDirectory)") && none.stderr.contains("pra backup --base"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fresh))

        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        let occupied = TestEnvironment.temporaryDirectory("standbyrefuse-occupied")
        FileManager.default.createFile(atPath: occupied + "/notes.txt", contents: Data("keep".utf8))
        let busy = try server.pra(["standby", "create", "--target-dir", occupied])
        #expect(busy.exitCode == 2, "\(busy.stdout) \(busy.stderr)")
        #expect(busy.stderr.contains("\(occupied) is not empty (1 entries)") && busy.stderr.contains("only in an empty or new directory"), "\(busy.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: occupied) == ["notes.txt"])
        let left = try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory).filter { $0.hasPrefix(RestoreCommandEnvironment.directoryPrefix) }
        #expect(left.isEmpty, "\(left)")

        let nothing = try server.pra(["standby", "status", "--target-dir", occupied])
        #expect(nothing.exitCode == 3 && nothing.stderr.contains("is not a standby pra created"), "\(nothing.stderr)")
    }

    @Test("a standby that fell behind (replay paused while the primary archives): status WARNING naming the lag over RPO_TARGET, lag in segments; resumed it catches up (OK); stopped it is CRITICAL, not promotable")
    func fellBehind() throws {
        let server = try ArchivingCluster(label: "standbylag")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        let target = server.targetDirectory("standbylag-target")
        defer { server.stopRecovered(target) }
        let create = try server.pra(["standby", "create", "--target-dir", target])
        #expect(create.exitCode == 0, "\(create.stdout) \(create.stderr)")
        #expect(create.stdout.contains("standby running in \(target) on port"), "\(create.stdout)")
        let record = try StandbyRecord.load(from: target)
        let tight = ["RPO_TARGET": "2s"]

        try Self.connect(record, server).execute("SELECT pg_wal_replay_pause()")
        for round in 1...3 {
            try server.sql("INSERT INTO pitr_marker (note) VALUES ('behind \(round)')")
            try server.switchAndWait()
        }
        sleep(3)
        let behind = try server.pra(["standby", "status", "--target-dir", target], extra: tight)
        #expect(behind.exitCode == 2, "\(behind.stdout) \(behind.stderr)")
        #expect(behind.stdout.contains("WARNING") && behind.stdout.contains("fell behind") && behind.stdout.contains("RPO_TARGET=2.0s") && behind.stdout.contains("replay is paused"), "\(behind.stdout)")
        let state = try StandbyPromotion(configuration: try Self.configuration(server, extra: tight), dataDirectory: target).inspect()
        #expect((state.lagSegments ?? 0) >= 3 && state.promotable && state.level == .warning, "\(state)")
        #expect((state.lagSeconds ?? 0) > 2)

        try Self.connect(record, server).execute("SELECT pg_wal_replay_resume()")
        try Self.waitFor("SELECT count(*) FROM pitr_marker WHERE note LIKE 'behind %'", "3", on: record, server)
        let caughtUp = try server.pra(["standby", "status", "--target-dir", target, "--json"], extra: tight)
        #expect(caughtUp.exitCode == 0, "\(caughtUp.stdout) \(caughtUp.stderr)")
        #expect(caughtUp.stdout.contains("\"level\" : \"OK\""), "\(caughtUp.stdout)")

        let stop = try server.pra(["standby", "stop", "--target-dir", target])
        #expect(stop.exitCode == 0 && stop.stdout.contains("stopped"), "\(stop.stderr)")
        let stopped = try server.pra(["status", "--standby", target])
        #expect(stopped.exitCode == 1 && stopped.stdout.contains("not promotable") && stopped.stdout.contains("the server is not running"), "\(stopped.stdout) \(stopped.stderr)")
        #expect(throws: OperationFailure.self) { try StandbyPromotion(configuration: try Self.configuration(server), dataDirectory: target).promote() }
    }

    @Test("a standby stopped at a gap in the archive: status CRITICAL naming the missing segment; promote() refused; promote(acceptingDataLoss:) promotes it with the commits after the gap lost and the gap reported")
    func stoppedAtGap() throws {
        let server = try ArchivingCluster(label: "standbygap")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'before gap' FROM generate_series(1, 4)")
        try server.switchAndWait()
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('in gap')")
        let missing = try server.switchAndWait()
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('after gap')")
        try server.switchAndWait()
        let segment = try #require(WALFileName(missing))
        let file = try #require(try server.archive.find(segment))
        try FileManager.default.removeItem(atPath: file.path)

        let target = server.targetDirectory("standbygap-target")
        defer { server.stopRecovered(target) }
        let create = try server.pra(["standby", "create", "--target-dir", target])
        #expect(create.exitCode == 0, "\(create.stdout) \(create.stderr)")
        let record = try StandbyRecord.load(from: target)
        try Self.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'before gap'", "4", on: record, server)
        let status = try server.pra(["status", "--standby", target])
        #expect(status.exitCode == 1, "\(status.stdout) \(status.stderr)")
        #expect(status.stdout.contains("not promotable") && status.stdout.contains("WAL segment \(missing) is missing from the archive"), "\(status.stdout)")

        let promotion = StandbyPromotion(configuration: try Self.configuration(server), dataDirectory: target)
        do {
            _ = try promotion.promote()
            Issue.record("a standby stopped at a gap was promoted without acceptingDataLoss")
        } catch {
            #expect(error.stage == "promote" && error.message.contains("is not promotable") && error.message.contains(missing), "\(error)")
        }
        #expect(try Self.connect(record, server).scalar("SELECT pg_is_in_recovery()") == "t", "a refused promotion changes nothing")
        let result = try promotion.promote(acceptingDataLoss: true)
        #expect(result.before.archiveGap == missing)
        let promoted = try Self.connect(record, server)
        #expect(try promoted.scalar("SELECT pg_is_in_recovery()") == "f")
        #expect(try promoted.scalar("SELECT count(*) FROM pitr_marker WHERE note IN ('in gap', 'after gap')") == "0")
        #expect(try promoted.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'before gap'") == "4")
        let lost = try #require(Double(try server.sql("SELECT extract(epoch FROM written)::float8 FROM pitr_marker WHERE note = 'in gap'")))
        let point = try #require(result.recoveryPointAt)
        #expect(point.timeIntervalSince1970 < lost, "the recovery point \(point) is before the first lost commit")
    }

    @Test("create from the off-site copy only (REMOTE_TARGET directory, no local base backup): replays, then remove deletes the directory and the env file")
    func fromOffSite() throws {
        let server = try ArchivingCluster(label: "standbyremote")
        let offsiteParent = TestEnvironment.temporaryDirectory("standbyremote-offsite")
        chmod(offsiteParent, 0o755)
        let offsite = offsiteParent + "/copies"
        try server.cluster.grantServerAccess(to: offsite)
        let remote = ["REMOTE_TARGET": offsite]
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'before base' FROM generate_series(1, 2)")
        let base = try server.pra(["backup", "--base"], extra: remote)
        #expect(base.exitCode == 0, "\(base.stderr)")
        let archive = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete).name.fileName
        try PointInTimeRemoteRestoreTests.deleteLocalBaseBackups(server)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'after base' FROM generate_series(1, 6)")
        try server.switchAndWait()

        let target = server.targetDirectory("standbyremote-target")
        defer { server.stopRecovered(target) }
        let create = try server.pra(["standby", "create", "--target-dir", target, "--json"], extra: remote)
        #expect(create.exitCode == 0, "\(create.stdout) \(create.stderr)")
        #expect(create.stdout.contains("\"baseBackupSource\" : \"\(offsite)/\(archive) (off-site)\""), "\(create.stdout)")
        let record = try StandbyRecord.load(from: target)
        try Self.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'after base'", "6", on: record, server)
        #expect(FileManager.default.fileExists(atPath: record.environmentFile), "the env file lives as long as the standby")
        #expect(try server.pra(["status", "--standby", target], extra: remote).exitCode == 0)

        let remove = try server.pra(["standby", "remove", "--target-dir", target], extra: remote)
        #expect(remove.exitCode == 0, "\(remove.stdout) \(remove.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(!FileManager.default.fileExists(atPath: record.environmentFile))
        try PointInTimeRemoteRestoreTests.expectNoScratch(server)
    }
}
