import Foundation
import PRACore
import PRAHarness
import PRATestSupport
import Testing

/// `pra backup --base --incremental-from` on a real archiving cluster, and `pra restore --pitr`
/// through the chain it builds.
@Suite("incremental base backups on real PostgreSQL", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not installed"))
struct IncrementalBaseBackupTests {
    /// md5 of each table's rows in a stable order, by table name (the public schema).
    static func tableDigests(_ connection: PostgresConnection) throws -> [String: String] {
        let tables = try connection.scalar("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'") ?? ""
        var digests: [String: String] = [:]
        for table in tables.split(separator: ",").map(String.init) {
            let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            digests[table] = try connection.scalar("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM public.\(quoted) t") ?? ""
        }
        return digests
    }

    /// The live source database's digests (``tableDigests(_:)``).
    static func sourceDigests(_ server: ArchivingCluster) throws -> [String: String] {
        try tableDigests(PostgresConnection(ConnectionSettings(parameters: server.cluster.connectionSettings.libpqParameters.merging(["dbname": server.database]) { $1 }), applicationName: "test"))
    }

    static func backup(_ server: ArchivingCluster, incremental: Bool, extra: [String: String] = [:]) throws -> BaseBackupResult {
        let result = try server.pra(["backup", "--base", "--json"] + (incremental ? ["--incremental-from", "newest"] : []), extra: extra)
        #expect(result.exitCode == 0, "\(result.stderr)")
        return try JSONCoding.decoder.decode(BaseBackupResult.self, from: Data(result.stdout.utf8))
    }

    /// Restores to the latest point into a new directory and returns the recovered tables' digests
    /// and the base backup used.
    /// `inspect` runs on the recovered server before it is stopped.
    static func restoreLatest(_ server: ArchivingCluster, label: String, arguments: [String] = [], extra: [String: String] = [:],
                              inspect: (PostgresConnection) throws -> Void = { _ in }) throws -> (digests: [String: String], used: String, skipped: String) {
        let target = server.targetDirectory(label)
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--json"] + arguments, extra: extra, timeout: 600)
        #expect(restore.exitCode == 0, "\(restore.stdout) \(restore.stderr)")
        let port = try #require(restore.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "\"port\" : ") else { return nil }
            return String(line[range.upperBound...].prefix { $0.isNumber })
        }.first)
        let used = restore.stdout.split(separator: "\n").first { $0.contains("\"baseBackup\" : ") }.map(String.init) ?? ""
        let skipped = restore.stdout.components(separatedBy: "\"skippedBackups\"").dropFirst().first.map { String($0.prefix(2000)) } ?? ""
        let connection = try PostgresConnection(ConnectionSettings(parameters: ["host": target, "port": port, "user": "postgres", "dbname": server.database]), applicationName: "test")
        try inspect(connection)
        return (try tableDigests(connection), used, skipped)
    }

    @Test("restore --pitr through a full base backup and 3 incrementals (range UPDATEs, DELETEs, DROP TABLE, TRUNCATE, a new table) equals the restore through a full one taken at the same moment, table by table; a small change stores little")
    func chainEqualsFull() throws {
        let server = try ArchivingCluster(label: "incr-chain")
        try server.sql("CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v, repeat('x', 100) AS pad FROM generate_series(1, 200000) g; ALTER TABLE big ADD PRIMARY KEY (id)")
        try server.sql("CREATE TABLE dropped AS SELECT g FROM generate_series(1, 50000) g; CREATE TABLE truncated AS SELECT g FROM generate_series(1, 50000) g")
        let full = try Self.backup(server, incremental: false)
        #expect(full.incrementalFrom == nil && full.referencedRanges == 0)
        let fullManifest = try BaseBackupManifest.load(path: full.manifest)
        #expect(fullManifest.rangeMap != nil && fullManifest.chainDepth == 0)

        // A small change: a few rows.
        try server.sql("UPDATE big SET v = 'changed' WHERE id BETWEEN 100 AND 110")
        let first = try Self.backup(server, incremental: true)
        #expect(first.incrementalFrom == (full.archive as NSString).lastPathComponent)
        #expect(first.chainDepth == 1)
        #expect(full.readFrom == .pgBasebackup && first.readFrom == .dataDirectory, "a full one streams pg_basebackup, an incremental reads the data directory (BASE_BACKUP_READ=auto)")
        #expect(first.uncompressedBytes * 5 < full.uncompressedBytes, "incremental \(first.uncompressedBytes) bytes, full \(full.uncompressedBytes)")
        #expect(first.compressedBytes * 5 < full.compressedBytes, "incremental \(first.compressedBytes) bytes, full \(full.compressedBytes)")
        print("incremental base backup figures: full \(full.uncompressedBytes) bytes of tar, \(full.compressedBytes) compressed; after 11 UPDATEd rows \(first.uncompressedBytes) of tar, \(first.compressedBytes) compressed, \(first.storedRanges ?? 0) ranges stored, \(first.referencedRanges ?? 0) referenced; \(full.seconds) s full, \(first.seconds) s incremental")

        // Heavy writes: a range of UPDATEs and scattered DELETEs.
        try server.sql("UPDATE big SET v = md5(v) WHERE id BETWEEN 20000 AND 60000; DELETE FROM big WHERE id % 7 = 0")
        // The middle link streams pg_basebackup: a chain may mix both ways of reading.
        let second = try Self.backup(server, incremental: true, extra: ["BASE_BACKUP_READ": "stream"])
        #expect(second.chainDepth == 2 && second.readFrom == .pgBasebackup)

        try server.sql("DROP TABLE dropped; TRUNCATE truncated; CREATE TABLE fresh AS SELECT g, g * 2 AS twice FROM generate_series(1, 30000) g")
        try server.sql("VACUUM big")
        let third = try Self.backup(server, incremental: true)
        #expect(third.chainDepth == 3 && third.readFrom == .dataDirectory)
        let thirdManifest = try BaseBackupManifest.load(path: third.manifest)
        #expect(thirdManifest.incrementalFrom?.archive == (second.archive as NSString).lastPathComponent)

        let verify = try server.pra(["verify", "--all"])
        #expect(verify.exitCode == 0, "\(verify.stdout) \(verify.stderr)")

        let source = try Self.sourceDigests(server)
        #expect(source["dropped"] == nil && source["truncated"] == "0:" && source["fresh"] != nil)
        let throughChain = try Self.restoreLatest(server, label: "incr-chain-restore")
        #expect(throughChain.used.contains((third.archive as NSString).lastPathComponent), "\(throughChain.used) \(throughChain.skipped)")

        // A full base backup at the same moment (nothing written since the third incremental).
        let fullNow = try Self.backup(server, incremental: false)
        let throughFull = try Self.restoreLatest(server, label: "incr-chain-full")
        #expect(throughFull.used.contains((fullNow.archive as NSString).lastPathComponent))
        #expect(Set(throughChain.digests.keys) == Set(source.keys))
        for (table, digest) in source {
            #expect(throughChain.digests[table] == digest, "table \(table) through the chain")
            #expect(throughFull.digests[table] == digest, "table \(table) through the full base backup")
        }
    }

    /// Flips one byte in the middle of `path`; returns the original content to put back.
    static func flipByte(_ path: String) throws -> Data {
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        var damaged = original
        damaged[damaged.count / 2] ^= 0x5a
        try damaged.write(to: URL(fileURLWithPath: path))
        return original
    }

    @Test("a damaged link (middle archive, newest range map, full archive, missing full) is caught by verify and by restore --pitr, which falls back to the newest intact base backup or fails naming the link")
    func brokenLinks() throws {
        let server = try ArchivingCluster(label: "incr-broken")
        try server.sql("CREATE TABLE t AS SELECT g FROM generate_series(1, 100000) g")
        let full = try Self.backup(server, incremental: false)
        var incrementals: [String] = []
        for step in 1...3 {
            try server.sql("UPDATE t SET g = -g WHERE g BETWEEN \(step * 1000) AND \(step * 1000 + 50)")
            incrementals.append(try Self.backup(server, incremental: true).archive)
        }
        let names = ([full.archive] + incrementals).map { ($0 as NSString).lastPathComponent }
        let source = try Self.sourceDigests(server)

        // The middle incremental's archive damaged: verify names it for the newest; restore falls back to the first incremental.
        let middle = try Self.flipByte(incrementals[1])
        let verify = try server.pra(["verify", "--all"])
        #expect(verify.exitCode != 0)
        #expect(verify.stdout.contains("incremental chain broken at \(names[2])"), "\(verify.stdout)")
        let fallback = try Self.restoreLatest(server, label: "incr-broken-middle")
        #expect(fallback.used.contains(names[1]), "\(fallback.used) \(fallback.skipped)")
        #expect(fallback.skipped.contains("\(names[3]) (incremental) cannot be restored: incremental chain broken at \(names[2])"), "\(fallback.skipped)")
        #expect(fallback.digests == source)
        try middle.write(to: URL(fileURLWithPath: incrementals[1]))

        // The newest incremental's range map damaged: caught before use; restore uses the one before.
        let mapPath = incrementals[2] + RangeMap.fileSuffix
        let map = try Self.flipByte(mapPath)
        let verifyMap = try server.pra(["verify", "--all"])
        #expect(verifyMap.exitCode != 0)
        #expect(verifyMap.stdout.contains("range map"), "\(verifyMap.stdout)")
        let beforeMap = try Self.restoreLatest(server, label: "incr-broken-map")
        #expect(beforeMap.used.contains(names[2]), "\(beforeMap.used) \(beforeMap.skipped)")
        #expect(beforeMap.skipped.contains("incremental chain broken at \(names[3]): range map"), "\(beforeMap.skipped)")
        #expect(beforeMap.digests == source)
        try map.write(to: URL(fileURLWithPath: mapPath))

        // The full base backup's archive damaged: nothing is left to restore from; the failure names it.
        let fullArchive = try Self.flipByte(full.archive)
        let verifyFull = try server.pra(["verify", "--all"])
        #expect(verifyFull.stdout.contains("incremental chain broken at \(names[0])"), "\(verifyFull.stdout)")
        let target = server.targetDirectory("incr-broken-full")
        defer { server.stopRecovered(target) }
        let failed = try server.pra(["restore", "--pitr", "--target-dir", target], timeout: 600)
        #expect(failed.exitCode == 1, "\(failed.stdout) \(failed.stderr)")
        #expect((failed.stdout + failed.stderr).contains("incremental chain broken at \(names[0]) (its full base backup)"), "\(failed.stdout) \(failed.stderr)")
        try fullArchive.write(to: URL(fileURLWithPath: full.archive))

        // The full base backup gone: every incremental names the missing reference.
        try FileManager.default.removeItem(atPath: full.manifest)
        try FileManager.default.removeItem(atPath: full.archive)
        let verifyMissing = try server.pra(["verify", "--all"])
        #expect(verifyMissing.exitCode != 0)
        #expect(verifyMissing.stdout.contains("incremental chain broken at \(names[1]): its reference \(names[0]) is missing"), "\(verifyMissing.stdout)")
    }

    @Test("off-site (directory target): an incremental's archive, range map and manifests are copied like any base backup's, its reference kept by off-site retention; restore --pitr --from-remote assembles the incremental from the off-site chain, equal to the source, and pra standby create --from-remote starts from it")
    func offSite() throws {
        let server = try ArchivingCluster(label: "incr-remote")
        let remoteParent = TestEnvironment.temporaryDirectory("incr-remote-r")
        chmod(remoteParent, 0o755)
        let remote = remoteParent + "/copies"
        // As in production, the server's account (restore_command) reaches the off-site directory.
        try server.cluster.grantServerAccess(to: remote)
        try server.sql("CREATE TABLE t AS SELECT g FROM generate_series(1, 20000) g")
        // Retention keeps one base backup: the full one stays, here and off-site, because the incremental needs it.
        let settings = ["REMOTE_TARGET": remote, "BASE_BACKUP_RETENTION_DAYS": "0", "BASE_BACKUP_MIN_KEEP": "1"]
        let full = try server.pra(["backup", "--base", "--json"], extra: settings)
        #expect(full.exitCode == 0, "\(full.stderr)")
        try server.sql("UPDATE t SET g = -g WHERE g < 100")
        let incremental = try server.pra(["backup", "--base", "--incremental-from", "newest", "--json"], extra: settings)
        #expect(incremental.exitCode == 0, "\(incremental.stderr)")
        let results = try [full, incremental].map { try JSONCoding.decoder.decode(BaseBackupResult.self, from: Data($0.stdout.utf8)) }
        let copied = Set(try #require(FileManager.default.enumerator(atPath: remote)).compactMap { ($0 as? String).map { ($0 as NSString).lastPathComponent } })
        for result in results {
            let name = (result.archive as NSString).lastPathComponent
            for suffix in ["", RangeMap.fileSuffix, BackupArchiveName.manifestSuffix, BaseBackupManifest.postgresManifestSuffix] {
                #expect(copied.contains(name + suffix), "\(name + suffix) is not off-site: \(copied.sorted())")
            }
        }
        let source = try Self.sourceDigests(server)
        let restored = try Self.restoreLatest(server, label: "incr-remote-restore", arguments: ["--from-remote"], extra: ["REMOTE_TARGET": remote])
        let fullName = (results[0].archive as NSString).lastPathComponent, incrementalName = (results[1].archive as NSString).lastPathComponent
        #expect(restored.used.contains(incrementalName) && !restored.used.contains(fullName), "\(restored.used) \(restored.skipped)")
        #expect(!restored.skipped.contains(incrementalName), "\(restored.skipped)")
        #expect(restored.digests == source)

        // pra standby create --from-remote shares the choice of base backup: it starts from the same assembled chain.
        let standbyTarget = server.targetDirectory("incr-remote-standby")
        defer { server.stopRecovered(standbyTarget) }
        let standby = try server.pra(["standby", "create", "--from-remote", "--target-dir", standbyTarget, "--json"], extra: ["REMOTE_TARGET": remote])
        #expect(standby.exitCode == 0, "\(standby.stdout) \(standby.stderr)")
        #expect(standby.stdout.contains("\"baseBackupSource\" : \"\(remote)/\(incrementalName) (off-site)\""), "\(standby.stdout)")
        let record = try StandbyRecord.load(from: standbyTarget)
        #expect(record.baseBackup == incrementalName)
        #expect(try StandbyTests.connect(record, server).scalar("SELECT count(*) FILTER (WHERE g < 0) || '/' || count(*) FROM t") == "99/20000")
    }

    @Test("off-site chain in S3: with the local base backups and WAL archive gone (site loss), restore --pitr assembles full + 2 incrementals from the bucket, equal to the source table by table, leaving no scratch; a damaged middle link in the bucket makes both incrementals unusable, naming it (read once), and the full one is restored (never a partial chain); a damaged newest range map falls back to the middle one's chain; a rewritten pra manifest of the full one breaks both chains (SHA-256); with the full one's archive gone, the restore fails naming it", .requires(.seaweedfs))
    func offSiteChain() throws {
        let s3 = try LoopbackS3Server.start()
        let bucket = try s3.makeBucket("incrchain")
        let remote = s3.environment(bucket: bucket)
        let server = try ArchivingCluster(label: "incr-s3chain")
        try server.sql("CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 100000) g; CREATE TABLE small AS SELECT g FROM generate_series(1, 1000) g")
        var names: [String] = []
        for step in 0...2 {
            if step > 0 { try server.sql("UPDATE big SET v = 'step \(step)' WHERE id % 97 = \(step); DELETE FROM small WHERE g % 10 = \(step)") }
            let backup = try server.pra(["backup", "--base", "--json"] + (step > 0 ? ["--incremental-from", "newest"] : []), extra: remote, timeout: 600)
            try #require(backup.exitCode == 0, "\(backup.stdout) \(backup.stderr)")
            let result = try JSONCoding.decoder.decode(BaseBackupResult.self, from: Data(backup.stdout.utf8))
            #expect(result.chainDepth == step)
            names.append((result.archive as NSString).lastPathComponent)
        }
        try server.sql("INSERT INTO small SELECT g FROM generate_series(5000, 5100) g")
        let source = try Self.sourceDigests(server)
        _ = try server.switchAndWait()
        let sync = try server.pra(["wal", "sync"], extra: remote, timeout: 600)
        #expect(sync.exitCode == 0, "\(sync.stdout) \(sync.stderr)")
        let keys = Set(try s3.keys(bucket: bucket))
        for name in names { #expect(keys.contains("pra/\(name)\(RangeMap.fileSuffix)"), "\(keys.sorted())") }

        // What the bucket holds of the middle link's archive and the newest map, to damage them there later.
        let middle = try Data(contentsOf: URL(fileURLWithPath: server.backupDirectory + "/" + names[1]))
        let newestMap = try Data(contentsOf: URL(fileURLWithPath: server.backupDirectory + "/" + names[2] + RangeMap.fileSuffix))
        let fullManifest = try Data(contentsOf: URL(fileURLWithPath: server.backupDirectory + "/" + names[0] + BackupArchiveName.manifestSuffix))

        // The site is lost: no local base backup, no local WAL archive.
        for file in try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory) where file.contains("_backup_base_") {
            try FileManager.default.removeItem(atPath: server.backupDirectory + "/" + file)
        }
        try FileManager.default.moveItem(atPath: server.archive.root, toPath: server.backupDirectory + "-wal-aside")
        func restore(_ label: String) throws -> (output: PraBinary.Result, digests: [String: String]?) {
            let target = server.targetDirectory(label)
            defer { server.stopRecovered(target) }
            let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--json"], extra: remote, timeout: 600)
            let left = try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory).filter { $0.hasPrefix(RestoreOperation.remoteFetchDirectory) }
            #expect(left.isEmpty, "fetched scratch left behind: \(left)")
            guard restore.exitCode == 0 else { return (restore, nil) }
            return (restore, try Self.tableDigests(server.recovered(target)))
        }

        let chained = try restore("incr-s3chain-restore")
        #expect(chained.output.exitCode == 0, "\(chained.output.stdout) \(chained.output.stderr)")
        #expect(chained.output.stdout.contains("\"baseBackupSource\" : \"s3://\(bucket)/pra/\(names[2]) (off-site)\""), "\(chained.output.stdout)")
        for link in names.dropLast() {
            #expect(chained.output.stdout.contains("\(link) (a link of the chain of \(names[2])) from s3://\(bucket)/pra"), "\(chained.output.stdout)")
        }
        #expect(chained.digests == source)

        // The middle link's archive damaged in the bucket: both incrementals name it; the full one is restored.
        let client = s3.client(bucket: bucket)
        var damaged = middle
        damaged[damaged.count / 2] ^= 0x5a
        _ = try client.send("PUT", key: "pra/\(names[1])", body: damaged)
        #expect(try client.send("HEAD", key: "pra/\(names[1])").header("Content-Length") == "\(middle.count)")
        let fallback = try restore("incr-s3chain-fallback")
        #expect(fallback.output.exitCode == 0, "\(fallback.output.stdout) \(fallback.output.stderr)")
        #expect(fallback.output.stdout.contains("\"baseBackupSource\" : \"s3://\(bucket)/pra/\(names[0]) (off-site)\""), "\(fallback.output.stdout)")
        for incremental in names.dropFirst() {
            #expect(fallback.output.stdout.contains("off-site \(incremental) (incremental) cannot be restored: incremental chain broken at \(names[1])"), "\(fallback.output.stdout)")
        }
        // The middle link found damaged for the newest candidate is not streamed again (nor the full one before it) for the next.
        #expect(fallback.output.stdout.contains("off-site \(names[1]) (incremental) cannot be restored: incremental chain broken at \(names[1])") && fallback.output.stdout.contains("(found for a newer candidate: not read again)"), "\(fallback.output.stdout)")
        #expect(!fallback.output.stdout.contains("a link of the chain"), "\(fallback.output.stdout)")
        #expect(fallback.digests == source)

        // The middle link intact again, the newest one's range map damaged: the chain of the middle one is restored.
        _ = try client.send("PUT", key: "pra/\(names[1])", body: middle)
        var map = newestMap
        map[map.count / 2] ^= 0x5a
        _ = try client.send("PUT", key: "pra/\(names[2])\(RangeMap.fileSuffix)", body: map)
        let shorter = try restore("incr-s3chain-map")
        #expect(shorter.output.exitCode == 0, "\(shorter.output.stdout) \(shorter.output.stderr)")
        #expect(shorter.output.stdout.contains("\"baseBackupSource\" : \"s3://\(bucket)/pra/\(names[1]) (off-site)\""), "\(shorter.output.stdout)")
        #expect(shorter.output.stdout.contains("off-site \(names[2]) (incremental) cannot be restored: incremental chain broken at \(names[2]): range map"), "\(shorter.output.stdout)")
        #expect(shorter.output.stdout.contains("\(names[0]) (a link of the chain of \(names[1])) from s3://\(bucket)/pra"), "\(shorter.output.stdout)")
        #expect(shorter.digests == source)

        // Every link intact but the full one's pra manifest rewritten (still valid, one more byte): it is not the manifest
        // the first incremental was taken against, so neither incremental is used; the full one verifies on its own.
        _ = try client.send("PUT", key: "pra/\(names[2])\(RangeMap.fileSuffix)", body: newestMap)
        _ = try client.send("PUT", key: "pra/\(names[0])\(BackupArchiveName.manifestSuffix)", body: fullManifest + Data("\n".utf8))
        let rewritten = try restore("incr-s3chain-manifest")
        #expect(rewritten.output.exitCode == 0, "\(rewritten.output.stdout) \(rewritten.output.stderr)")
        #expect(rewritten.output.stdout.contains("\"baseBackupSource\" : \"s3://\(bucket)/pra/\(names[0]) (off-site)\""), "\(rewritten.output.stdout)")
        for incremental in names.dropFirst() {
            #expect(rewritten.output.stdout.contains("off-site \(incremental) (incremental) cannot be restored: incremental chain broken at \(names[1]): the manifest of its reference \(names[0]) is not the one it was taken against"), "\(rewritten.output.stdout)")
        }
        #expect(rewritten.digests == source)

        // The full one's manifest put back and its archive gone from the bucket: nothing is left; the failure names it.
        _ = try client.send("PUT", key: "pra/\(names[0])\(BackupArchiveName.manifestSuffix)", body: fullManifest)
        _ = try client.send("DELETE", key: "pra/\(names[0])")
        let failed = try restore("incr-s3chain-none")
        #expect(failed.output.exitCode == 1, "\(failed.output.stdout) \(failed.output.stderr)")
        #expect((failed.output.stdout + failed.output.stderr).contains("\(names[0]) (its full base backup) could not be fetched"), "\(failed.output.stdout) \(failed.output.stderr)")
    }

    @Test("retention keeps a kept incremental's whole chain and the WAL from its full base backup's start; once a newer full one is kept alone, the chain and its range maps go")
    func retentionKeepsChain() throws {
        let server = try ArchivingCluster(label: "incr-retention")
        let keepOne = ["BASE_BACKUP_RETENTION_DAYS": "0", "BASE_BACKUP_MIN_KEEP": "1"]
        try server.sql("CREATE TABLE t AS SELECT g FROM generate_series(1, 10000) g")
        let full = try Self.backup(server, incremental: false, extra: keepOne)
        var chain = [full]
        for step in 1...2 {
            try server.switchAndWait()
            sleep(1)
            try server.sql("UPDATE t SET g = -g WHERE g = \(step)")
            chain.append(try Self.backup(server, incremental: true, extra: keepOne))
            #expect(chain.last!.deletedByRetention.isEmpty, "\(chain.last!.deletedByRetention)")
        }
        let names = chain.map { ($0.archive as NSString).lastPathComponent }
        #expect(BaseBackupCatalogue(directory: server.backupDirectory).complete.map(\.name.fileName) == names.reversed())
        // The full base backup's first segment is still archived: the newest incremental restores from it.
        #expect(try server.archive.find(try #require(WALFileName(full.startSegment))) != nil)
        #expect(try server.pra(["verify", "--all"]).exitCode == 0)

        try server.switchAndWait()
        sleep(1)
        let newFull = try Self.backup(server, incremental: false, extra: keepOne)
        #expect(Set(newFull.deletedByRetention) == Set(names), "\(newFull.deletedByRetention)")
        let left = try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory)
        for name in names { #expect(!left.contains { $0.hasPrefix(name) }, "\(name): \(left)") }
        #expect(try server.archive.find(try #require(WALFileName(full.startSegment))) == nil)
    }

    @Test("--incremental-from is refused (exit 2, one line naming why) without --base, with no base backup, for an unknown archive, and for a reference without a range map")
    func refusals() throws {
        let server = try ArchivingCluster(label: "incr-refusals")
        let withoutBase = try server.pra(["backup", "--incremental-from", "newest"])
        #expect(withoutBase.exitCode == 2 && withoutBase.stderr.contains("--incremental-from needs --base"), "\(withoutBase.stderr)")
        let none = try server.pra(["backup", "--base", "--incremental-from", "newest"])
        #expect(none.exitCode == 2 && none.stderr.contains("no complete base backup of this database system"), "\(none.stderr)")
        let full = try Self.backup(server, incremental: false)
        let unknown = try server.pra(["backup", "--base", "--incremental-from", "db_backup_base_20200101_000000.tar.gz"])
        #expect(unknown.exitCode == 2 && unknown.stderr.contains("no base backup archive of that name"), "\(unknown.stderr)")
        // A base backup taken before pra kept range maps cannot be a reference.
        var manifest = try BaseBackupManifest.load(path: full.manifest)
        manifest.rangeMap = nil
        manifest.rangeMapSHA256 = nil
        try manifest.encoded().write(to: URL(fileURLWithPath: full.manifest))
        let old = try server.pra(["backup", "--base", "--incremental-from", (full.archive as NSString).lastPathComponent])
        #expect(old.exitCode == 2 && old.stderr.contains("has no range map"), "\(old.stderr)")
        #expect(old.stderr.split(separator: "\n").count == 1, "\(old.stderr)")
        #expect(BaseBackupCatalogue(directory: server.backupDirectory).entries.count == 1)
    }

    @Test("pra standby create starts from the newest base backup when it is an incremental: the chain is assembled, and the standby replays on from it")
    func standbyFromChain() throws {
        let server = try ArchivingCluster(label: "incr-standby")
        try server.sql("CREATE TABLE t AS SELECT g FROM generate_series(1, 20000) g")
        _ = try Self.backup(server, incremental: false)
        try server.sql("UPDATE t SET g = -g WHERE g <= 500; INSERT INTO pitr_marker (note) SELECT 'between' FROM generate_series(1, 4)")
        let incremental = try Self.backup(server, incremental: true)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'after' FROM generate_series(1, 6)")
        try server.switchAndWait()
        let target = server.targetDirectory("incr-standby-target")
        defer { server.stopRecovered(target) }
        let create = try server.pra(["standby", "create", "--target-dir", target])
        try #require(create.exitCode == 0, "\(create.stdout) \(create.stderr)")
        let record = try StandbyRecord.load(from: target)
        #expect(record.baseBackup == (incremental.archive as NSString).lastPathComponent)
        _ = try StandbyTests.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'after'", "6", on: record, server)
        let standby = try StandbyTests.connect(record, server)
        #expect(try standby.scalar("SELECT count(*) FILTER (WHERE g < 0) || '/' || count(*) FROM t") == "500/20000")
        #expect(try standby.scalar("SELECT pg_is_in_recovery()") == "t")
    }
    @Test("a chain may change codec link by link (gzip full, zstd then lz4 incrementals, WAL in zstd): each link is written in its own codec, and restore --pitr through the chain equals the source table by table")
    func chainAcrossCodecs() throws {
        let server = try ArchivingCluster(label: "incr-codecs")
        try server.sql("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 100000) g; ALTER TABLE t ADD PRIMARY KEY (id)")
        let full = try Self.backup(server, incremental: false)
        #expect(full.archive.hasSuffix(".tar.gz"))
        try server.archiveWAL(in: .zstd)
        try server.sql("UPDATE t SET v = 'zstd' WHERE id <= 2000")
        let second = try Self.backup(server, incremental: true, extra: ["BASE_BACKUP_COMPRESSION": "zstd", "BASE_BACKUP_READ": "stream"])
        #expect(second.archive.hasSuffix(".tar.zst") && second.chainDepth == 1 && second.readFrom == .pgBasebackup)
        try server.sql("DELETE FROM t WHERE id > 90000; CREATE TABLE added AS SELECT g FROM generate_series(1, 3000) g")
        let third = try Self.backup(server, incremental: true, extra: ["BASE_BACKUP_COMPRESSION": "lz4"])
        #expect(third.archive.hasSuffix(".tar.lz4") && third.chainDepth == 2 && third.readFrom == .dataDirectory)
        #expect(try BaseBackupManifest.load(path: third.manifest).codec == .lz4)
        try server.sql("UPDATE t SET v = 'after' WHERE id BETWEEN 5000 AND 5100")
        try server.switchAndWait()
        let source = try Self.sourceDigests(server)
        let restored = try Self.restoreLatest(server, label: "incr-codecs-target")
        #expect(restored.used.contains((third.archive as NSString).lastPathComponent))
        #expect(restored.digests == source)
    }

    @Test("read from the data directory, a visibility map bit cleared without its page's LSN moving is still stored (compared by content): an index-only scan on the restored chain sees the UPDATE; a full base backup read the same way restores too")
    func visibilityMapByContent() throws {
        let server = try ArchivingCluster(label: "incr-vm")
        // A synchronous commit: VACUUM marks a page all-visible only once its rows' commit is
        // flushed (their hint bits set), and the scratch cluster commits asynchronously.
        try server.sql("SET synchronous_commit = on; CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g")
        try server.sql("VACUUM (FREEZE) t")
        #expect(try server.sql("SELECT relallvisible = relpages AND relpages > 50 FROM pg_class WHERE oid = 't'::regclass") == "t", "every page all-visible before the full base backup")
        let full = try Self.backup(server, incremental: false, extra: ["BASE_BACKUP_READ": "local"])
        #expect(full.readFrom == .dataDirectory)
        // Non-HOT updates (the key changes) on all-visible pages: each clears its page's
        // visibility map bit, which moves the heap page's LSN but not the map page's.
        try server.sql("UPDATE t SET id = id + 100000 WHERE id % 500 = 0")
        try server.sql("CHECKPOINT")
        let incremental = try Self.backup(server, incremental: true)
        #expect(incremental.readFrom == .dataDirectory && incremental.chainDepth == 1)
        #expect((incremental.storedRanges ?? 0) < (incremental.referencedRanges ?? 0), "\(incremental.storedRanges ?? 0) stored, \(incremental.referencedRanges ?? 0) referenced")
        let restored = try Self.restoreLatest(server, label: "incr-vm-target") { restored in
            _ = try restored.execute("SET enable_seqscan = off")
            _ = try restored.execute("SET enable_bitmapscan = off")
            let plan = try restored.execute("EXPLAIN SELECT count(*) FROM t WHERE id < 1000000").rows.compactMap { $0.first ?? nil }.joined(separator: " ")
            #expect(plan.contains("Index Only Scan"), "\(plan)")
            // A stale all-visible bit would make the index-only scan count the old row versions too.
            #expect(try restored.scalar("SELECT count(*) FROM t WHERE id < 1000000") == "20000")
            #expect(try restored.scalar("SELECT count(*) FROM t WHERE id > 100000") == "40")
        }
        #expect(restored.used.contains((incremental.archive as NSString).lastPathComponent), "\(restored.used) \(restored.skipped)")
    }

    @Test("BASE_BACKUP_READ=local takes a full base backup from the data directory: PostgreSQL's manifest lists every file with its CRC-32C (pg_verifybackup checks them on restore, and finds a flipped byte), and restore --pitr through it equals the source")
    func localFull() throws {
        let server = try ArchivingCluster(label: "incr-localfull")
        try server.sql("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g")
        let full = try Self.backup(server, incremental: false, extra: ["BASE_BACKUP_READ": "local"])
        #expect(full.readFrom == .dataDirectory && full.incrementalFrom == nil)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: full.postgresManifest))) as? [String: Any]
        let files = try #require(manifest?["Files"] as? [[String: Any]])
        #expect(files.count > 500 && files.allSatisfy { $0["Checksum-Algorithm"] as? String == "CRC32C" })
        #expect(files.contains { $0["Path"] as? String == "backup_label" } && files.contains { $0["Path"] as? String == "global/pg_control" })
        #expect(!files.contains { ($0["Path"] as? String ?? "").hasPrefix("pg_wal/") || $0["Path"] as? String == "postmaster.pid" })
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('after the local full')")
        try server.switchAndWait()
        let source = try Self.sourceDigests(server)
        let restored = try Self.restoreLatest(server, label: "incr-localfull-target")
        #expect(restored.used.contains((full.archive as NSString).lastPathComponent), "\(restored.used) \(restored.skipped)")
        #expect(restored.digests == source)
        // The CRCs are PostgreSQL's: pg_verifybackup on the extracted tree finds one flipped byte.
        let extracted = server.targetDirectory("incr-localfull-check")
        defer { try? FileManager.default.removeItem(atPath: extracted) }
        try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: true)
        let untar = try ExternalProcess(executable: "/usr/bin/tar", arguments: ["-xzf", full.archive, "-C", extracted]).run()
        #expect(untar.succeeded, "\(untar.standardError)")
        let verifier = try PostgresBinaries().locate("pg_verifybackup")
        let clean = try ExternalProcess(executable: verifier, arguments: ["--no-parse-wal", "--manifest-path=\(full.postgresManifest)", extracted]).run()
        #expect(clean.succeeded, "\(clean.standardError)")
        _ = try Self.flipByte(extracted + "/PG_VERSION")
        let damaged = try ExternalProcess(executable: verifier, arguments: ["--no-parse-wal", "--manifest-path=\(full.postgresManifest)", extracted]).run()
        #expect(!damaged.succeeded && damaged.standardError.contains("PG_VERSION"), "\(damaged.standardError)")
    }

    @Test("page LSNs stand in for hashes only when the WAL archive is whole since the reference: with a segment missing (archiving stopped in between, perhaps for wal_level = minimal), the incremental says so and compares every range by SHA-256; restore through the chain equals the source")
    func archiveGapFallsBackToHashes() throws {
        let server = try ArchivingCluster(label: "incr-gap")
        try server.sql("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g")
        _ = try Self.backup(server, incremental: false)
        try server.sql("UPDATE t SET v = 'zero' WHERE id BETWEEN 200 AND 300")
        let whole = try Self.backup(server, incremental: true, extra: ["BASE_BACKUP_READ": "local"])
        #expect(!whole.warnings.contains { $0.contains("not by page LSN") }, "\(whole.warnings)")
        try server.sql("UPDATE t SET v = 'one' WHERE id <= 100")
        let missing = try #require(WALFileName(try server.switchAndWait()))
        try server.sql("UPDATE t SET v = 'two' WHERE id > 49900")
        _ = try server.switchAndWait()
        // The archive loses a segment between the reference's start and now.
        let file = try #require(try server.archive.find(missing))
        #expect(unlink(file.path) == 0)
        let incremental = try Self.backup(server, incremental: true, extra: ["BASE_BACKUP_READ": "local"])
        #expect(incremental.readFrom == .dataDirectory && incremental.chainDepth == 2)
        #expect(incremental.warnings.contains { $0.contains(missing.text) && $0.contains("every range compared by SHA-256") }, "\(incremental.warnings)")
        // Restored through the chain (the new incremental's WAL is whole from its own start).
        let source = try Self.sourceDigests(server)
        let restored = try Self.restoreLatest(server, label: "incr-gap-target")
        #expect(restored.used.contains((incremental.archive as NSString).lastPathComponent), "\(restored.used) \(restored.skipped)")
        #expect(restored.digests == source)
    }
}
