import Foundation
import PRACore
import PRAHarness
import PRATestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A cluster archiving locally (its own `wal push`), a few segments archived, and an off-site
/// target: a directory or a SeaweedFS bucket. `pra wal sync` takes the archive off-site.
struct OffSiteFixture {
    let server: ArchivingCluster
    /// REMOTE_TARGET and what the store needs.
    let remote: [String: String]
    /// For a directory target: REMOTE_TARGET itself.
    let directory: String?
    let segments: [String]

    static func directory(_ label: String, segments count: Int = 3) throws -> OffSiteFixture {
        let server = try ArchivingCluster(label: label)
        let target = TestEnvironment.temporaryDirectory(label + "-offsite") + "/target"
        return OffSiteFixture(server: server, remote: ["REMOTE_TARGET": target], directory: target, segments: try Self.archive(server, count))
    }

    static func s3(_ label: String, segments count: Int = 3) throws -> OffSiteFixture {
        let seaweed = try LoopbackS3Server.start()
        let bucket = try seaweed.makeBucket(label)
        let server = try ArchivingCluster(label: label)
        return OffSiteFixture(server: server, remote: seaweed.environment(bucket: bucket), directory: nil, segments: try Self.archive(server, count))
    }

    /// Writes and switches `count` times; the names archived, oldest first.
    static func archive(_ server: ArchivingCluster, _ count: Int) throws -> [String] {
        var names: [String] = []
        for round in 0..<count {
            try server.sql("INSERT INTO pitr_marker(note) SELECT 'round \(round) ' || g FROM generate_series(1, 500) g")
            names.append(try server.switchAndWait())
        }
        return names
    }

    func pra(_ arguments: [String], extra: [String: String] = [:]) throws -> PraBinary.Result {
        try server.pra(arguments, extra: remote.merging(extra) { $1 })
    }

    var configuration: Configuration {
        get throws { try Configuration(envFile: TestEnvironment.noEnvFile, environment: server.environment.merging(remote) { $1 }) }
    }

    var walStore: any RemoteStore {
        get throws { try RemoteWALArchive(configuration: configuration)!.store }
    }

    var rootStore: any RemoteStore {
        get throws { try RemoteTarget(remote["REMOTE_TARGET"]!).store(configuration: configuration) }
    }

    /// The local archived file of `name`.
    func local(_ name: String) throws -> WALArchive.File {
        try #require(try server.archive.find(WALFileName(name)!))
    }

    /// The site is lost: the local WAL archive is moved away (returned, to put back).
    func loseLocalArchive() throws -> String {
        let aside = server.backupDirectory + "-wal-aside-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.moveItem(atPath: server.archive.root, toPath: aside)
        return aside
    }
}

@Suite("pra wal sync: the off-site copier", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs are not installed"))
struct WALSyncOperationTests {
    @Test("sync copies every archived file to REMOTE_TARGET/wal under its local name, writes the marker, copies nothing twice; a marker of another system stops it naming both identifiers")
    func copiesOnceAndChecksTheMarker() throws {
        let fixture = try OffSiteFixture.directory("walsync")
        let sync = try fixture.pra(["wal", "sync", "--json"])
        #expect(sync.exitCode == 0, "\(sync.stderr)")
        let result = try JSONCoding.decoder.decode(WALSyncResult.self, from: Data(sync.stdout.utf8))
        let local = fixture.server.archive.files()
        #expect(result.copied == local.count && result.pending == 0 && result.lagSeconds == 0)
        // The lag measured is kept for status to bound it when the store cannot be asked.
        #expect(OffSiteLagRecord.load(backupDirectory: fixture.server.backupDirectory)?.lagSeconds == 0, "\((try? FileManager.default.contentsOfDirectory(atPath: fixture.server.archive.root)) ?? [])")
        let target = try #require(fixture.directory) + "/wal"
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: target))
        for file in local {
            let name = (file.path as NSString).lastPathComponent
            #expect(names.contains(name))
            #expect(try FileDigest(path: target + "/" + name) == FileDigest(path: file.path))
        }
        let marker = try JSONCoding.decoder.decode(WALArchive.Identity.self, from: Data(contentsOf: URL(fileURLWithPath: target + "/archive.json")))
        let identity = try #require(try fixture.server.archive.identity())
        #expect(marker.systemIdentifier == identity.systemIdentifier)

        let again = try fixture.pra(["wal", "sync", "--json"])
        #expect(again.exitCode == 0)
        #expect(try JSONCoding.decoder.decode(WALSyncResult.self, from: Data(again.stdout.utf8)).copied == 0)

        // Another cluster's WAL in this target: refused, nothing copied.
        var foreign = marker
        foreign.systemIdentifier = "7000000000000000001"
        try JSONCoding.encoder.encode(foreign).write(to: URL(fileURLWithPath: target + "/archive.json"))
        let more = try OffSiteFixture.archive(fixture.server, 1)
        let refused = try fixture.pra(["wal", "sync"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("7000000000000000001") && refused.stderr.contains(identity.systemIdentifier) && refused.stderr.contains("another REMOTE_TARGET path"), "\(refused.stderr)")
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: target)).contains { $0.hasPrefix(more[0]) })
    }

    @Test("queue limit: with the store unreachable and more than WAL_REMOTE_QUEUE_LIMIT waiting, sync alerts once (Slack), status reports off-site queue CRITICAL; back under the limit, one recovery alert")
    func queueLimitAlerts() throws {
        let fixture = try OffSiteFixture.directory("walqueue", segments: 1)
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        let slack = try LoopbackHTTPServer { _ in 200 }
        defer { slack.stop() }
        let target = try #require(fixture.directory)
        let limits = ["WAL_REMOTE_QUEUE_LIMIT": "1", "WAL_REMOTE_MODE": "async", "SLACK_WEBHOOK": slack.url("/services/T/B/queue")]
        _ = try OffSiteFixture.archive(fixture.server, 2)
        // The store goes away (its mount point replaced by a file).
        try FileManager.default.moveItem(atPath: target, toPath: target + "-gone")
        try "not a directory".write(toFile: target, atomically: true, encoding: .utf8)
        let failed = try fixture.pra(["wal", "sync"], extra: limits)
        #expect(failed.exitCode == 1)
        #expect(failed.stderr.contains("over WAL_REMOTE_QUEUE_LIMIT"), "\(failed.stderr)")
        // (status sends its own CRITICAL alert too: only the copier's are counted here.)
        func syncAlerts() -> [String] {
            slack.requests.map { String(decoding: $0.body, as: UTF8.self) }.filter { $0.contains("off-site WAL queue over its limit") || $0.contains("off-site WAL queue drained") }
        }
        #expect(syncAlerts().count == 1 && syncAlerts().first?.contains("over its limit") == true, "\(syncAlerts())")
        // Alerted once per episode.
        #expect(try fixture.pra(["wal", "sync"], extra: limits).exitCode == 1)
        #expect(syncAlerts().count == 1)
        let status = try fixture.pra(["status"], extra: limits)
        #expect(status.stdout.contains("off-site queue") && status.stdout.contains("over WAL_REMOTE_QUEUE_LIMIT"), "\(status.stdout)")
        #expect(status.exitCode == 1)

        // The store is back: everything goes off-site, and one recovery alert.
        try FileManager.default.removeItem(atPath: target)
        try FileManager.default.moveItem(atPath: target + "-gone", toPath: target)
        let drained = try fixture.pra(["wal", "sync", "--json"], extra: limits)
        #expect(drained.exitCode == 0, "\(drained.stderr)")
        #expect(try JSONCoding.decoder.decode(WALSyncResult.self, from: Data(drained.stdout.utf8)).pending == 0)
        #expect(syncAlerts().count == 2 && syncAlerts().last?.contains("drained") == true, "\(syncAlerts())")
    }

    @Test("kill -9 of the copier mid-upload (S3, one upload at a time): nothing off-site under a final name differs from the local file; the next run copies the rest")
    func killedMidUpload() throws {
        let seaweed = try LoopbackS3Server.start()
        let bucket = try seaweed.makeBucket("walkill")
        let server = try ArchivingCluster(label: "walkill")
        // Incompressible rows: each segment is several MiB compressed, so uploads take a while.
        try server.sql("CREATE TABLE noise (payload text)")
        var segments: [String] = []
        for _ in 0..<6 {
            try server.sql("INSERT INTO noise SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 200) g, generate_series(1, 2500) r GROUP BY r")
            segments.append(try server.switchAndWait())
        }
        let fixture = OffSiteFixture(server: server, remote: seaweed.environment(bucket: bucket).merging(["WAL_SYNC_JOBS": "1"]) { $1 }, directory: nil, segments: segments)
        var local: [String: WALArchive.File] = [:]
        let store = try fixture.walStore
        var interrupted = 0
        for delay in [0.3, 0.6, 0.9, 1.2, 1.6] {
            local = Dictionary(server.archive.files().map { (($0.path as NSString).lastPathComponent, $0) }, uniquingKeysWith: { a, _ in a })
            let process = Process()
            process.executableURL = URL(fileURLWithPath: PraBinary.path)
            process.arguments = PraBinary.sealed(["wal", "sync", "--quiet"])
            process.environment = server.environment.merging(fixture.remote) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            let killed = process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let offSite = RemoteWALArchive.entries(in: try store.list())
            // Every object under a final name is exactly the local file: nothing partial looks complete.
            for entry in offSite {
                let file = try #require(local[entry.fileName], "\(entry.fileName) off-site is no local file")
                let readBack = TestEnvironment.temporaryDirectory("walkill-read") + "/copy"
                try store.download(entry.fileName, to: readBack)
                let copied = try FileDigest(path: readBack)
                #expect(copied == (try FileDigest(path: file.path)), "\(entry.fileName) off-site differs from the local file")
            }
            if killed && offSite.count < local.count { interrupted += 1 }
        }
        #expect(interrupted > 0, "no kill landed before the copy was complete: the test proved nothing")
        let finish = try fixture.pra(["wal", "sync", "--json"])
        #expect(finish.exitCode == 0, "\(finish.stderr)")
        let names = Set(try store.list())
        #expect(local.keys.allSatisfy { names.contains($0) })
        #expect(try JSONCoding.decoder.decode(WALSyncResult.self, from: Data(finish.stdout.utf8)).pending == 0)
    }

    @Test("async mode: wal push archives locally at once and the copier it starts takes each segment off-site within seconds; with the store unreachable archiving goes on and status is CRITICAL naming the off-site lag")
    func asynchronousPush() throws {
        let label = "walasync"
        let directory = TestEnvironment.temporaryDirectory(label)
        let target = TestEnvironment.temporaryDirectory(label + "-offsite") + "/target"
        let envFile = directory + "/pra.env"
        // The server's archive_command reads REMOTE_TARGET from an env file of its own.
        let cluster = try ScratchCluster(settings: Self.asyncSettings(directory: directory, envFile: envFile), preparing: { cluster in
            try cluster.grantServerAccess(to: directory)
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try cluster.grantServerAccess(to: (target as NSString).deletingLastPathComponent)
            try "REMOTE_TARGET=\(target)\nWAL_REMOTE_MODE=async\n".write(toFile: envFile, atomically: true, encoding: .utf8)
            if let user = cluster.serverUser, let account = getpwnam(user) { chown(envFile, account.pointee.pw_uid, account.pointee.pw_gid) }
        })
        let database = try TestEnvironment.fixtureDatabase(label, scale: 0.01, on: cluster)
        let archive = WALArchive(backupDirectory: directory)
        var names: [String] = []
        for _ in 0..<3 {
            try TestEnvironment.psql("CREATE TABLE IF NOT EXISTS t(i int); INSERT INTO t SELECT generate_series(1, 1000)", database: database, cluster: cluster)
            names.append(try TestEnvironment.psql("SELECT pg_walfile_name(pg_switch_wal())", database: database, cluster: cluster))
        }
        let deadline = Date().addingTimeInterval(30)
        var offSite: [String] = []
        while Date() < deadline {
            offSite = (try? FileManager.default.contentsOfDirectory(atPath: target + "/wal")) ?? []
            if names.allSatisfy({ name in offSite.contains { $0.hasPrefix(name + "-") } }) { break }
            usleep(200_000)
        }
        #expect(names.allSatisfy { name in offSite.contains { $0.hasPrefix(name + "-") } }, "off-site: \(offSite); log: \(cluster.logTail())")
        #expect(offSite.contains("archive.json"))

        // The store goes away (the mount point is replaced by a file): the primary keeps archiving locally.
        try FileManager.default.moveItem(atPath: target, toPath: target + "-gone")
        try "not a directory".write(toFile: target, atomically: true, encoding: .utf8)
        var during: [String] = []
        for _ in 0..<2 {
            try TestEnvironment.psql("INSERT INTO t SELECT generate_series(1, 1000)", database: database, cluster: cluster)
            let name = try TestEnvironment.psql("SELECT pg_walfile_name(pg_switch_wal())", database: database, cluster: cluster)
            let until = Date().addingTimeInterval(30)
            while Date() < until, ((try? archive.find(WALFileName(name)!)) ?? nil) == nil { usleep(100_000) }
            #expect(((try? archive.find(WALFileName(name)!)) ?? nil) != nil, "\(name) was not archived locally while the store was away: \(cluster.logTail())")
            during.append(name)
        }
        Thread.sleep(forTimeInterval: 2.5)
        let environment = TestEnvironment.environment(cluster: cluster, database: database, backupDirectory: directory, extra: ["REMOTE_TARGET": target, "WAL_REMOTE_MODE": "async", "RPO_TARGET": "2s"])
        let status = try PraBinary.run(["status"], environment: environment)
        #expect(status.exitCode == 1, "\(status.stdout)")
        #expect(status.stdout.contains("CRITICAL") && status.stdout.contains("off-site lag"), "\(status.stdout)")
        let prometheus = TestEnvironment.temporaryDirectory(label + "-prom") + "/pra.prom"
        let exported = try PraBinary.run(["status", "--prometheus", prometheus], environment: environment)
        let exposition = (try? String(contentsOfFile: prometheus, encoding: .utf8)) ?? ""
        #expect(exposition.contains("pra_remote_wal_lag_seconds "), "\(exported.stdout)\(exported.stderr)\n\(exposition)")

        // The store is back: the next push's copier drains the queue; nothing is missing off-site.
        try FileManager.default.removeItem(atPath: target)
        try FileManager.default.moveItem(atPath: target + "-gone", toPath: target)
        try TestEnvironment.psql("INSERT INTO t SELECT generate_series(1, 10)", database: database, cluster: cluster)
        let last = try TestEnvironment.psql("SELECT pg_walfile_name(pg_switch_wal())", database: database, cluster: cluster)
        let drained = Date().addingTimeInterval(30)
        while Date() < drained {
            offSite = (try? FileManager.default.contentsOfDirectory(atPath: target + "/wal")) ?? []
            if (during + [last]).allSatisfy({ name in offSite.contains { $0.hasPrefix(name + "-") } }) { break }
            usleep(200_000)
        }
        #expect((during + [last]).allSatisfy { name in offSite.contains { $0.hasPrefix(name + "-") } }, "off-site: \(offSite)")
        let queue = WALSyncQueue(local: archive.files(), offSite: Set(offSite))
        #expect(queue.pending.isEmpty, "still waiting: \(queue.pending.map(\.name.text))")
        try? cluster.stop()
    }

    static func asyncSettings(directory: String, envFile: String) -> [String: String] {
        var settings = ScratchCluster.archivingSettings(praExecutable: PraBinary.path, backupDirectory: directory, archiveTimeout: 1)
        let command = ShellCommandLine.postgresCommand([.literal(PraBinary.path), "wal", "push", .placeholder("%p"), "--backup-dir", .literal(directory), "--env-file", .literal(envFile)])
        settings["archive_command"] = ShellCommandLine.configurationValue(command)
        return settings
    }
}

@Suite("pra wal get from the off-site copy", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs are not installed"))
struct WALFetchRemoteTests {
    @Test("local archive gone: wal get fetches from the directory target, checked, prefetching the next segments into a bounded spool it serves from and removes when a file is found nowhere")
    func fetchesAndPrefetches() throws {
        let fixture = try OffSiteFixture.directory("walgetdir", segments: 4)
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        let expected = try fixture.segments.map { try fixture.local($0).sha256 }
        _ = try fixture.loseLocalArchive()
        let pgWAL = TestEnvironment.temporaryDirectory("walgetdir-pgwal")
        let spool = pgWAL + "/.pra-wal-spool"
        let first = try fixture.pra(["wal", "get", fixture.segments[0], pgWAL + "/RECOVERYXLOG", "--verbose"], extra: ["WAL_GET_PREFETCH": "2"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(try FileDigest(path: pgWAL + "/RECOVERYXLOG").sha256 == expected[0])
        let spooled = try FileManager.default.contentsOfDirectory(atPath: spool).sorted()
        #expect(spooled == [fixture.segments[1] + "-" + expected[1], fixture.segments[2] + "-" + expected[2]], "\(spooled)")

        let second = try fixture.pra(["wal", "get", fixture.segments[1], pgWAL + "/RECOVERYXLOG", "--verbose"], extra: ["WAL_GET_PREFETCH": "2"])
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(second.stdout.contains("(prefetched)"), "\(second.stdout)")
        #expect(try FileDigest(path: pgWAL + "/RECOVERYXLOG").sha256 == expected[1])
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: spool)).contains { $0.hasPrefix(fixture.segments[1]) })

        // A spooled file whose SHA-256 the listing no longer names is never served.
        let stale = spool + "/" + fixture.segments[2] + "-" + expected[2]
        try Data(repeating: 0, count: 100).write(to: URL(fileURLWithPath: stale))
        try FileManager.default.moveItem(atPath: stale, toPath: spool + "/" + fixture.segments[2] + "-" + String(repeating: "0", count: 64))
        let third = try fixture.pra(["wal", "get", fixture.segments[2], pgWAL + "/RECOVERYXLOG"], extra: ["WAL_GET_PREFETCH": "2"])
        #expect(third.exitCode == 0, "\(third.stderr)")
        #expect(try FileDigest(path: pgWAL + "/RECOVERYXLOG").sha256 == expected[2])

        // Found nowhere: exit 1, not a word, and the spool is gone.
        let missing = try fixture.pra(["wal", "get", "00000001000000000000EEEE", pgWAL + "/RECOVERYXLOG"], extra: ["WAL_GET_PREFETCH": "2"])
        #expect(missing.exitCode == 1)
        #expect(missing.stderr.isEmpty, "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: spool))
    }

    @Test("a corrupt, misnamed or foreign off-site file: exit 126 naming it, nothing written at PATH")
    func refusesWhatFailsItsChecks() throws {
        let fixture = try OffSiteFixture.directory("walgetbad", segments: 3)
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        let target = try #require(fixture.directory) + "/wal"
        let files = try fixture.segments.map { try fixture.local($0) }
        _ = try fixture.loseLocalArchive()
        let work = TestEnvironment.temporaryDirectory("walgetbad-pgwal")

        // Bit rot in the bucket: the gzip stream or the SHA-256 in the name catches it.
        let rotten = target + "/" + (files[0].path as NSString).lastPathComponent
        var bytes = try Data(contentsOf: URL(fileURLWithPath: rotten))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: rotten))
        let corrupt = try fixture.pra(["wal", "get", fixture.segments[0], work + "/RECOVERYXLOG"], extra: ["WAL_GET_PREFETCH": "0"])
        #expect(corrupt.exitCode == 126)
        #expect(corrupt.stderr.contains(fixture.segments[0]) && corrupt.stderr.contains("corrupt"), "\(corrupt.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/RECOVERYXLOG"))

        // A sound segment put under another segment's name (its SHA-256 in the name is right): the header says where it belongs.
        let misnamed = WALFileName(timeline: 1, segmentNumber: 0x7777, segmentSize: 16 << 20).text
        try FileManager.default.copyItem(atPath: target + "/" + (files[1].path as NSString).lastPathComponent, toPath: target + "/\(misnamed)-\(files[1].sha256).gz")
        let wrong = try fixture.pra(["wal", "get", misnamed, work + "/RECOVERYXLOG"])
        #expect(wrong.exitCode == 126)
        #expect(wrong.stderr.contains(misnamed) && wrong.stderr.contains("starts at"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/RECOVERYXLOG"))

        // Another system's WAL under this target: refused, both identifiers named.
        let markerPath = target + "/archive.json"
        var marker = try JSONCoding.decoder.decode(WALArchive.Identity.self, from: Data(contentsOf: URL(fileURLWithPath: markerPath)))
        let own = marker.systemIdentifier
        marker.systemIdentifier = "7000000000000000002"
        try JSONCoding.encoder.encode(marker).write(to: URL(fileURLWithPath: markerPath))
        let foreign = try fixture.pra(["wal", "get", fixture.segments[2], work + "/RECOVERYXLOG"])
        #expect(foreign.exitCode == 126)
        #expect(foreign.stderr.contains(own) && foreign.stderr.contains("7000000000000000002"), "\(foreign.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/RECOVERYXLOG"))
    }

    @Test("from a SeaweedFS bucket: fetched and checked with prefetch; a file in neither place exits 1 silently")
    func fetchesFromS3() throws {
        let fixture = try OffSiteFixture.s3("walgets3", segments: 3)
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        let expected = try fixture.segments.map { try fixture.local($0).sha256 }
        _ = try fixture.loseLocalArchive()
        let work = TestEnvironment.temporaryDirectory("walgets3-pgwal")
        for (index, name) in fixture.segments.enumerated() {
            let get = try fixture.pra(["wal", "get", name, work + "/RECOVERYXLOG"], extra: ["WAL_GET_PREFETCH": "4"])
            #expect(get.exitCode == 0, "\(get.stderr)")
            #expect(try FileDigest(path: work + "/RECOVERYXLOG").sha256 == expected[index])
        }
        let missing = try fixture.pra(["wal", "get", "00000001000000000000EEEE", work + "/RECOVERYXLOG"])
        #expect(missing.exitCode == 1 && missing.stderr.isEmpty, "\(missing.stderr)")
        let secret = fixture.remote["AWS_SECRET_ACCESS_KEY"]!
        #expect(!FileManager.default.fileExists(atPath: work + "/.pra-wal-spool"))
        #expect(!(missing.stdout + missing.stderr).contains(secret))
    }

    @Test("real recovery: a base backup restored by hand on an empty site replays every segment from the bucket through restore_command = pra wal get (prefetch on) and has every row; the spool is gone at the end")
    func recoveryReplaysFromTheBucket() throws {
        let fixture = try OffSiteFixture.s3("walrecover", segments: 1)
        #expect(try fixture.server.pra(["backup", "--base"]).exitCode == 0)
        _ = try OffSiteFixture.archive(fixture.server, 4)
        let expected = try fixture.server.sql("SELECT count(*) FROM pitr_marker")
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        let entry = try #require(BaseBackupCatalogue(directory: fixture.server.backupDirectory).newestComplete)
        _ = try fixture.loseLocalArchive()

        let data = fixture.server.targetDirectory("walrecover-site")
        let site = (data as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = try ExternalProcess(executable: "/bin/tar", arguments: ["-x", "-z", "-f", entry.archivePath, "-C", data]).runChecked()
        let emptyBackups = site + "/backups"
        try FileManager.default.createDirectory(atPath: emptyBackups, withIntermediateDirectories: true)
        let envFile = site + "/pra.env"
        try (fixture.remote.map { "\($0.key)=\($0.value)" } + ["WAL_GET_PREFETCH=4"]).joined(separator: "\n").write(toFile: envFile, atomically: true, encoding: .utf8)
        chmod(envFile, 0o600)
        let port = try #require(LoopbackSocket.freePort())
        let restore = ShellCommandLine.postgresCommand([.literal(PraBinary.path), "wal", "get", .placeholder("%f"), .placeholder("%p"), "--backup-dir", .literal(emptyBackups), "--env-file", .literal(envFile)])
        let settings = ["restore_command = \(ShellCommandLine.configurationValue(restore))", "archive_mode = off", "port = \(port)", "listen_addresses = ''",
                        "unix_socket_directories = '\(site)'", "recovery_target_action = 'promote'"]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data + "/postgresql.auto.conf"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(("\n" + settings.joined(separator: "\n") + "\n").utf8))
        try handle.close()
        FileManager.default.createFile(atPath: data + "/recovery.signal", contents: Data())
        let user = fixture.server.cluster.serverUser.flatMap(OSUser.named)
        if let user {
            _ = try ExternalProcess(executable: "/bin/chown", arguments: ["-R", "\(user.uid):\(user.gid)", site]).runChecked()
        }
        let pgctl = try PostgresBinaries().locate("pg_ctl")
        let control = ServerControl(dataDirectory: data, logFile: site + "/server.log", binDirectory: (pgctl as NSString).deletingLastPathComponent, user: user)
        try control.start(wait: true, timeout: 120)
        defer { try? control.stop(mode: "immediate") }
        let psql = try PostgresBinaries().locate("psql")
        var environment = TestEnvironment.sealed()
        environment["PGHOST"] = site
        environment["PGPORT"] = "\(port)"
        environment["PGUSER"] = fixture.server.cluster.environment["PGUSER"]
        func query(_ sql: String) -> String? {
            try? ExternalProcess(executable: psql, arguments: ["-X", "-A", "-t", "-d", fixture.server.database, "-c", sql], environment: environment, timeout: 30).runChecked().stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, query("SELECT pg_is_in_recovery()") != "f" { usleep(250_000) }
        #expect(query("SELECT pg_is_in_recovery()") == "f", "\(control.logTail(lines: 20))")
        #expect(query("SELECT count(*) FROM pitr_marker") == expected, "\(control.logTail(lines: 20))")
        #expect(control.logLines().contains { $0.contains("restored log file") }, "\(control.logTail(lines: 20))")
        #expect(!FileManager.default.fileExists(atPath: data + "/pg_wal/.pra-wal-spool"))
    }

    @Test("over ssh (a real sshd): sync copies and marks, wal get with the local archive gone fetches, checked, with prefetch", .enabled(if: LoopbackSSHServer.unavailableReason == nil, "sshd, ssh and ssh-keygen as root are needed"))
    func overSSH() throws {
        let ssh = try LoopbackSSHServer()
        defer { ssh.stop() }
        let server = try ArchivingCluster(label: "walgetssh")
        let segments = try OffSiteFixture.archive(server, 3)
        let path = TestEnvironment.temporaryDirectory("walgetssh-remote") + "/target"
        let fixture = OffSiteFixture(server: server, remote: ["REMOTE_TARGET": ssh.target(path), "REMOTE_SSH_KEY": ssh.clientKey, "REMOTE_SSH_KNOWN_HOSTS": ssh.knownHosts], directory: path, segments: segments)
        // A synchronous push to a target that has no wal/ yet: created, marked, copied.
        let copy = TestEnvironment.temporaryDirectory("walgetssh-push") + "/" + segments[0]
        #expect(try fixture.pra(["wal", "get", segments[0], copy]).exitCode == 0)
        let pushed = try fixture.pra(["wal", "push", copy])
        #expect(pushed.exitCode == 0, "\(pushed.stderr)")
        #expect(FileManager.default.fileExists(atPath: path + "/wal/archive.json"))
        let sync = try fixture.pra(["wal", "sync"])
        #expect(sync.exitCode == 0, "\(sync.stderr)")
        #expect(FileManager.default.fileExists(atPath: path + "/wal/archive.json"))
        let expected = try segments.map { try fixture.local($0).sha256 }
        _ = try fixture.loseLocalArchive()
        let work = TestEnvironment.temporaryDirectory("walgetssh-pgwal")
        for (index, name) in segments.enumerated() {
            let get = try fixture.pra(["wal", "get", name, work + "/RECOVERYXLOG"], extra: ["WAL_GET_PREFETCH": "2"])
            #expect(get.exitCode == 0, "\(get.stderr)")
            #expect(try FileDigest(path: work + "/RECOVERYXLOG").sha256 == expected[index])
        }
        let missing = try fixture.pra(["wal", "get", "00000001000000000000EEEE", work + "/RECOVERYXLOG"])
        #expect(missing.exitCode == 1 && missing.stderr.isEmpty, "\(missing.stderr)")
    }
}

@Suite("off-site WAL in status, verify --remote and retention", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs are not installed"))
struct OffSiteWALStatusTests {
    /// Places the local base backup `entry` at the target's root as the off-site copy of base
    /// backups does: archive, PostgreSQL's manifest, the pra manifest last.
    static func placeOffSite(_ entry: BaseBackupCatalogue.Entry, store: any RemoteStore) throws {
        try store.prepare()
        for path in [entry.archivePath, entry.postgresManifestPath, entry.manifestPath] {
            try store.put(path, as: (path as NSString).lastPathComponent, expected: try FileDigest(path: path))
        }
    }

    @Test("status: off-site lag OK once synced, CRITICAL over RPO_TARGET when segments wait, in text, JSON, Nagios and Prometheus; the off-site window is stated")
    func statusReportsTheLag() throws {
        let fixture = try OffSiteFixture.directory("walstatus", segments: 2)
        let base = try fixture.server.pra(["backup", "--base"])
        #expect(base.exitCode == 0, "\(base.stderr)")
        _ = try OffSiteFixture.archive(fixture.server, 1)
        let entry = try #require(BaseBackupCatalogue(directory: fixture.server.backupDirectory).newestComplete)
        try Self.placeOffSite(entry, store: try fixture.rootStore)
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        let ok = try fixture.pra(["status", "--json"], extra: ["RPO_TARGET": "1h"])
        #expect(ok.stdout.contains("every archived WAL file is on"), "\(ok.stdout)")
        #expect(ok.stdout.contains("from the off-site copy alone: can restore to any moment between"), "\(ok.stdout)")

        _ = try OffSiteFixture.archive(fixture.server, 2)
        Thread.sleep(forTimeInterval: 2.2)
        let late = try fixture.pra(["status"], extra: ["RPO_TARGET": "2s"])
        #expect(late.exitCode == 1)
        #expect(late.stdout.contains("CRITICAL") && late.stdout.contains("off-site lag") && late.stdout.contains("losing the site now loses"), "\(late.stdout)")
        let nagios = try fixture.pra(["status", "--nagios"], extra: ["RPO_TARGET": "2s"])
        #expect(nagios.stdout.contains("offsite_wal_lag="), "\(nagios.stdout)")
        let prometheus = TestEnvironment.temporaryDirectory("walstatus-prom") + "/pra.prom"
        _ = try fixture.pra(["status", "--prometheus", prometheus], extra: ["RPO_TARGET": "2s"])
        let text = try String(contentsOfFile: prometheus, encoding: .utf8)
        let lag = try #require(text.split(separator: "\n").first { $0.hasPrefix("pra_remote_wal_lag_seconds ") })
        #expect((Double(lag.split(separator: " ")[1]) ?? 0) >= 2)

        // Synced again: the lag is gone.
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        let caughtUp = try fixture.pra(["status"], extra: ["RPO_TARGET": "2s"])
        // (The server may archive a segment meanwhile: the lag is then under a second, still OK.)
        #expect(caughtUp.stdout.split(separator: "\n").contains { $0.contains("off-site lag") && $0.hasPrefix("  OK") }, "\(caughtUp.stdout)")
    }

    @Test("status with the store unreachable: CRITICAL, naming the off-site lag bound from the last measurement")
    func statusWithTheStoreDown() throws {
        let fixture = try OffSiteFixture.directory("walstatusdown", segments: 1)
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        _ = try OffSiteFixture.archive(fixture.server, 1)
        // An S3 endpoint nobody listens on.
        let down = ["REMOTE_TARGET": "s3://nobody/pra", "S3_ENDPOINT": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "S3_MAX_RETRIES": "0", "HEALTH_TIMEOUT": "2s", "RPO_TARGET": "1s"]
        Thread.sleep(forTimeInterval: 1.2)
        let status = try fixture.pra(["status"], extra: down)
        #expect(status.exitCode == 1)
        #expect(status.stdout.contains("off-site lag") && status.stdout.contains("cannot check the off-site WAL"), "\(status.stdout)")
    }

    @Test("verify --remote: off-site base backups read through against their manifests, off-site WAL read through, the window from the off-site copy alone; bit rot in either is named")
    func verifyRemote() throws {
        let fixture = try OffSiteFixture.directory("walverify", segments: 1)
        #expect(try fixture.server.pra(["backup", "--base"]).exitCode == 0)
        let after = try OffSiteFixture.archive(fixture.server, 2)
        let entry = try #require(BaseBackupCatalogue(directory: fixture.server.backupDirectory).newestComplete)
        try Self.placeOffSite(entry, store: try fixture.rootStore)
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        let good = try fixture.pra(["verify", "--remote"])
        #expect(good.exitCode == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("remote \(entry.name.fileName): valid"), "\(good.stdout)")
        #expect(good.stdout.contains("from the off-site copy alone: can restore to any moment between"), "\(good.stdout)")
        let json = try fixture.pra(["verify", "--remote", "--json"])
        #expect(json.stdout.contains("\"offSiteWAL\""), "\(json.stdout)")

        // Bit rot in an off-site WAL segment the window needs.
        let target = try #require(fixture.directory)
        let segment = (try fixture.local(after[0]).path as NSString).lastPathComponent
        var bytes = try Data(contentsOf: URL(fileURLWithPath: target + "/wal/" + segment))
        // 32 bytes, not one bit: a single bit can land in the padding before a stored block's
        // length, which every inflater ignores (same content, same SHA-256: nothing to name).
        for offset in (bytes.count / 3)..<(bytes.count / 3 + 32) { bytes[offset] ^= 0xFF }
        try bytes.write(to: URL(fileURLWithPath: target + "/wal/" + segment))
        // And in the off-site base backup.
        var archive = try Data(contentsOf: URL(fileURLWithPath: target + "/" + entry.name.fileName))
        archive[archive.count / 2] ^= 0x01
        try archive.write(to: URL(fileURLWithPath: target + "/" + entry.name.fileName))
        let bad = try fixture.pra(["verify", "--remote"])
        #expect(bad.exitCode == 1)
        #expect(bad.stdout.contains("corrupt: \(after[0])"), "\(bad.stdout)")
        #expect(bad.stdout.contains("remote \(entry.name.fileName): INVALID"), "\(bad.stdout)")
    }
}

@Suite("off-site WAL retention", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs are not installed"))
struct RemoteWALRetentionTests {
    @Test("deletes off-site WAL older than the oldest off-site base backup of this system needs, never a history file, never another system's base backup counting; nothing when a manifest cannot be read")
    func keepsWhatKeptBaseBackupsNeed() throws {
        let fixture = try OffSiteFixture.directory("walretention", segments: 2)
        // Off-site before the base backup: local retention then drops the WAL it no longer needs, the off-site copy keeps it.
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        #expect(try fixture.server.pra(["backup", "--base"]).exitCode == 0)
        _ = try OffSiteFixture.archive(fixture.server, 2)
        #expect(try fixture.pra(["wal", "sync"]).exitCode == 0)
        let entry = try #require(BaseBackupCatalogue(directory: fixture.server.backupDirectory).newestComplete)
        let manifest = try #require(entry.manifest)
        let root = try fixture.rootStore
        let identity = try #require(try fixture.server.archive.identity())
        let remote = RemoteWALArchive(store: try fixture.walStore)
        let retention = RemoteWALRetention(rootStore: root, remote: remote, systemIdentifier: identity.systemIdentifier)
        let scratch = TestEnvironment.temporaryDirectory("walretention-scratch")
        var warnings: [String] = []
        // No base backup off-site: nothing expires.
        #expect(try retention.expired(scratch: scratch, warnings: &warnings).isEmpty)

        // Another system's base backup, older, off-site: it does not hold WAL back (and is not this archive's).
        let target = try #require(fixture.directory)
        var foreign = manifest
        foreign.systemIdentifier = "7000000000000000003"
        foreign.startSegment = WALFileName(timeline: 1, segmentNumber: 0, segmentSize: identity.segmentSize).text
        let foreignName = BackupArchiveName(prefix: "other", timestamp: Date(timeIntervalSince1970: 1_000_000_000), kind: .base)
        try foreign.encoded().write(to: URL(fileURLWithPath: target + "/" + foreignName.manifestFileName))
        try Data("x".utf8).write(to: URL(fileURLWithPath: target + "/" + foreignName.fileName))
        try OffSiteWALStatusTests.placeOffSite(entry, store: root)

        let start = try #require(WALFileName(manifest.startSegment)?.segmentNumber(segmentSize: identity.segmentSize))
        let before = RemoteWALArchive.entries(in: try remote.store.list())
        let older = before.filter { $0.name.kind != .history && ($0.name.segmentNumber(segmentSize: identity.segmentSize) ?? .max) < start }
        #expect(!older.isEmpty, "the fixture archived nothing before the base backup")
        let deleted = try retention.apply(scratch: scratch, warnings: &warnings)
        #expect(Set(deleted) == Set(older.map(\.fileName)), "\(deleted) vs \(older.map(\.fileName)); \(warnings)")
        let after = RemoteWALArchive.entries(in: try remote.store.list())
        #expect(after.count == before.count - older.count)
        #expect(after.allSatisfy { $0.name.kind == .history || ($0.name.segmentNumber(segmentSize: identity.segmentSize) ?? 0) >= start })
        // The next sync does not copy the expired files back.
        let resync = try fixture.pra(["wal", "sync", "--json"])
        #expect(try JSONCoding.decoder.decode(WALSyncResult.self, from: Data(resync.stdout.utf8)).copied == 0, "\(resync.stdout)")

        // A manifest that cannot be read: what it needs is unknown, nothing is deleted.
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: target + "/" + foreignName.manifestFileName))
        var more: [String] = []
        #expect(try retention.apply(scratch: scratch, warnings: &more).isEmpty)
        #expect(more.contains { $0.contains(foreignName.manifestFileName) }, "\(more)")

        // A target holding another system's WAL: refused.
        let other = RemoteWALRetention(rootStore: root, remote: remote, systemIdentifier: "7000000000000000004")
        #expect(throws: RemoteWALError.self) { _ = try other.expired(scratch: scratch, warnings: &more) }
    }
}
