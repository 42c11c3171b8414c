import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

#if canImport(Glibc)
import Glibc
#endif

/// A backup as `pra backup` leaves it: random archive bytes and a valid manifest naming
/// `database`, dated `daysAgo` days back.
func makeDatabaseBackup(in directory: String, database: String, prefix: String, daysAgo: Double, bytes: Int = 20_000) throws -> (archive: String, manifest: String) {
    let timestamp = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - daysAgo * 86400).rounded(.down))
    let name = BackupArchiveName(prefix: prefix, timestamp: timestamp)
    let archive = (directory as NSString).appendingPathComponent(name.fileName)
    var generator = SystemRandomNumberGenerator()
    try Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: archive))
    let digest = try FileDigest(path: archive)
    let manifest = BackupManifest(database: database, serverVersion: "16.4", pgDumpVersion: "16.4", startedAt: timestamp, finishedAt: timestamp,
                                  archive: name.fileName, compressedBytes: digest.size, uncompressedBytes: digest.size * 3, sha256: digest.sha256,
                                  compressionLevel: 6, snapshot: "00000003-00000002-1", tables: [.init(schema: "public", name: "t", rows: 1)])
    try manifest.encoded().write(to: URL(fileURLWithPath: archive + BackupArchiveName.manifestSuffix))
    return (archive, archive + BackupArchiveName.manifestSuffix)
}

/// Remote retention and the clean-up around a copy only ever touch the copying database's files,
/// on the three kinds of target, against real servers (a directory, a loopback sshd, SeaweedFS).
@Suite("off-site retention is scoped to the copying database", .serialized)
struct RemoteRetentionScopeTests {
    static func name(_ path: String) -> String { (path as NSString).lastPathComponent }

    /// Lays out on `store` what a bucket shared by two databases holds, copies a fresh backup of
    /// `prod` with retention (30 days, keep 1) and checks that only prod's expired copy went.
    func retentionSparesOtherDatabases(_ store: any RemoteStore, scratch: String) throws {
        let staging = scratch + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        // prod's own expired copy: the only thing retention may delete.
        let prodOld = try makeDatabaseBackup(in: staging, database: "prod", prefix: "prod", daysAgo: 40)
        // big's only copy, old: another prefix.
        let bigOnly = try makeDatabaseBackup(in: staging, database: "big", prefix: "big", daysAgo: 45)
        // BACKUP_PREFIX shared by mistake: prod's prefix, but the manifest says big.
        let bigSharedPrefix = try makeDatabaseBackup(in: staging, database: "big", prefix: "prod", daysAgo: 50)
        // prod's prefix with a manifest nobody can read: cannot be attributed, never deleted.
        let unreadable = try makeDatabaseBackup(in: staging, database: "prod", prefix: "prod", daysAgo: 55)
        try Data("{ not a manifest".utf8).write(to: URL(fileURLWithPath: unreadable.manifest))
        try store.prepare()
        for backup in [prodOld, bigOnly, bigSharedPrefix, unreadable] {
            for path in [backup.archive, backup.manifest] { try store.put(path, as: Self.name(path), expected: try FileDigest(path: path)) }
        }
        let local = scratch + "/local"
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        let fresh = try makeDatabaseBackup(in: local, database: "prod", prefix: "prod", daysAgo: 0)

        let operation = RemoteCopyOperation(store: store, retention: RetentionPolicy(retentionDays: 30, minimumKept: 1))
        let result = try operation.copy(archivePath: fresh.archive, manifestPath: fresh.manifest)

        #expect(result.deletedByRetention == [Self.name(prodOld.archive)], "\(result.deletedByRetention) \(result.warnings)")
        let left = Set(try store.list())
        #expect(!left.contains(Self.name(prodOld.archive)) && !left.contains(Self.name(prodOld.manifest)))
        for kept in [bigOnly, bigSharedPrefix, unreadable, fresh] {
            #expect(left.contains(Self.name(kept.archive)), "\(Self.name(kept.archive)) was deleted: \(left.sorted())")
            #expect(left.contains(Self.name(kept.manifest)), "\(Self.name(kept.manifest)) was deleted: \(left.sorted())")
        }
    }

    @Test("directory target: prod's retention never deletes big's copies, nor one it cannot attribute")
    func directoryRetentionKeepsOtherDatabasesCopies() throws {
        let scratch = TestEnvironment.temporaryDirectory("scope-dir")
        try retentionSparesOtherDatabases(DirectoryRemoteStore(directory: scratch + "/offsite"), scratch: scratch)
    }

    @Test("ssh target: prod's retention never deletes big's copies, nor one it cannot attribute", .requires(.sshd))
    func sshRetentionKeepsOtherDatabasesCopies() throws {
        let server = try LoopbackSSHServer()
        defer { server.stop() }
        let scratch = TestEnvironment.temporaryDirectory("scope-ssh")
        let store = try RemoteTarget(server.target(scratch + "/offsite")).store(sshKey: server.clientKey, knownHosts: server.knownHosts)
        try retentionSparesOtherDatabases(store, scratch: scratch)
    }

    @Test("S3 target: prod's retention never deletes big's copies, nor one it cannot attribute", .requires(.seaweedfs))
    func s3RetentionKeepsOtherDatabasesCopies() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("scope")
        try retentionSparesOtherDatabases(try Self.s3Store(server, bucket: bucket), scratch: TestEnvironment.temporaryDirectory("scope-s3"))
    }

    static func s3Store(_ server: SeaweedFSServer, bucket: String, partSize: Int = 8 << 20) throws -> S3RemoteStore {
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: TestEnvironment.baseEnvironment(server.environment(bucket: bucket)))
        var store = try #require(try RemoteTarget(configuration["REMOTE_TARGET"] ?? "").store(configuration: configuration) as? S3RemoteStore)
        store.partSize = partSize
        store.client.initialBackoff = 0.1
        return store
    }

    /// An archive whose manifest never arrived (the copy died between the two) is no backup and
    /// nothing else removes it: retention does, once a newer complete backup of the same database
    /// exists; another database's such archive is left alone.
    func orphanArchivesRemoved(_ store: any RemoteStore, scratch: String) throws {
        let staging = scratch + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let prodOrphan = try makeDatabaseBackup(in: staging, database: "prod", prefix: "prod", daysAgo: 2)
        let bigOrphan = try makeDatabaseBackup(in: staging, database: "big", prefix: "big", daysAgo: 2)
        try store.prepare()
        for orphan in [prodOrphan, bigOrphan] { try store.put(orphan.archive, as: Self.name(orphan.archive), expected: try FileDigest(path: orphan.archive)) }
        let local = scratch + "/local"
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        let fresh = try makeDatabaseBackup(in: local, database: "prod", prefix: "prod", daysAgo: 0)
        let result = try RemoteCopyOperation(store: store, retention: RetentionPolicy(retentionDays: 30, minimumKept: 3))
            .copy(archivePath: fresh.archive, manifestPath: fresh.manifest)
        let left = Set(try store.list())
        #expect(!left.contains(Self.name(prodOrphan.archive)), "prod's archive without manifest was kept: \(left.sorted())")
        #expect(result.deletedByRetention.contains(Self.name(prodOrphan.archive)), "\(result.deletedByRetention)")
        #expect(left.contains(Self.name(bigOrphan.archive)), "big's archive was deleted by prod's retention")
        #expect(left.contains(Self.name(fresh.archive)) && left.contains(Self.name(fresh.manifest)))
    }

    @Test("directory target: an archive left without its manifest is removed once a newer complete backup exists, this database's only")
    func directoryOrphanArchiveRemoved() throws {
        let scratch = TestEnvironment.temporaryDirectory("orphan-dir")
        try orphanArchivesRemoved(DirectoryRemoteStore(directory: scratch + "/offsite"), scratch: scratch)
    }

    @Test("ssh target: an archive left without its manifest is removed once a newer complete backup exists, this database's only", .requires(.sshd))
    func sshOrphanArchiveRemoved() throws {
        let server = try LoopbackSSHServer()
        defer { server.stop() }
        let scratch = TestEnvironment.temporaryDirectory("orphan-ssh")
        let store = try RemoteTarget(server.target(scratch + "/offsite")).store(sshKey: server.clientKey, knownHosts: server.knownHosts)
        try orphanArchivesRemoved(store, scratch: scratch)
    }

    @Test("S3 target: an archive left without its manifest is removed once a newer complete backup exists, this database's only", .requires(.seaweedfs))
    func s3OrphanArchiveRemoved() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("orphan")
        try orphanArchivesRemoved(try Self.s3Store(server, bucket: bucket), scratch: TestEnvironment.temporaryDirectory("orphan-s3"))
    }

    @Test("S3: the copy aborts only this database's stale multipart uploads, never another database's", .requires(.seaweedfs))
    func staleUploadAbortKeepsOtherDatabasesUploads() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("abortscope")
        var store = try Self.s3Store(server, bucket: bucket)
        store.staleUploadAge = 0
        let client = server.client(bucket: bucket)
        for key in ["pra/big_backup_full_20260101_000000.sql.gz", "pra/prod_backup_full_20260101_000000.sql.gz"] {
            let started = try client.send("POST", key: key, query: [("uploads", "")])
            let id = try #require(S3Client.element("UploadId", in: String(decoding: started.body, as: UTF8.self)))
            _ = try client.send("PUT", key: key, query: [("partNumber", "1"), ("uploadId", id)], body: Data(count: 1000))
        }
        let local = TestEnvironment.temporaryDirectory("abortscope")
        let fresh = try makeDatabaseBackup(in: local, database: "prod", prefix: "prod", daysAgo: 0)
        _ = try RemoteCopyOperation(store: store).copy(archivePath: fresh.archive, manifestPath: fresh.manifest)
        #expect(try server.pendingUploads(bucket: bucket) == ["pra/big_backup_full_20260101_000000.sql.gz"])
    }

    @Test("the remote copy waits for the backup lock: it never runs beside another backup of the same directory")
    func remoteCopyHoldsBackupLock() throws {
        let scratch = TestEnvironment.temporaryDirectory("copylock")
        let local = scratch + "/local"
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        let fresh = try makeDatabaseBackup(in: local, database: "prod", prefix: "prod", daysAgo: 0)
        let store = DirectoryRemoteStore(directory: scratch + "/offsite")
        var other: BackupLock? = try BackupLock(directory: local)
        let finished = DispatchSemaphore(value: 0)
        let outcome = CopyOutcome()
        Thread.detachNewThread {
            do {
                _ = try RemoteCopyOperation(store: store).copy(archivePath: fresh.archive, manifestPath: fresh.manifest)
                outcome.set(nil)
            } catch {
                outcome.set("\(error)")
            }
            finished.signal()
        }
        sleep(2)
        #expect(!FileManager.default.fileExists(atPath: scratch + "/offsite/" + Self.name(fresh.archive)), "copied while another backup held the lock")
        withExtendedLifetime(other) {}
        other = nil
        #expect(finished.wait(timeout: .now() + 30) == .success)
        #expect(outcome.error == nil, "\(outcome.error ?? "")")
        #expect(FileManager.default.fileExists(atPath: scratch + "/offsite/" + Self.name(fresh.manifest)))
    }

    @Test("while a remote copy runs, another backup of the same directory is refused: the lock is held through the copy", .requires(.sshd))
    func backupRefusedDuringRemoteCopy() throws {
        let server = try LoopbackSSHServer()
        defer { server.stop() }
        let scratch = TestEnvironment.temporaryDirectory("copylockssh")
        let local = scratch + "/local"
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        let fresh = try makeDatabaseBackup(in: local, database: "prod", prefix: "prod", daysAgo: 0)
        // Over ssh every step is a connection: the copy lasts seconds, long enough to be caught running.
        let store = try RemoteTarget(server.target(scratch + "/offsite")).store(sshKey: server.clientKey, knownHosts: server.knownHosts)
        let finished = DispatchSemaphore(value: 0)
        let outcome = CopyOutcome()
        Thread.detachNewThread {
            do {
                _ = try RemoteCopyOperation(store: store, retention: RetentionPolicy(retentionDays: 30, minimumKept: 1))
                    .copy(archivePath: fresh.archive, manifestPath: fresh.manifest)
                outcome.set(nil)
            } catch {
                outcome.set("\(error)")
            }
            finished.signal()
        }
        usleep(700_000)
        var refused = false
        do {
            _ = try BackupLock(directory: local)
        } catch ArchiveError.locked {
            refused = true
        }
        let stillCopying = finished.wait(timeout: .now()) == .timedOut
        #expect(stillCopying, "the copy finished too fast for the check")
        #expect(refused, "another backup could start while the copy was running")
        #expect(finished.wait(timeout: .now() + 60) == .success)
        #expect(outcome.error == nil, "\(outcome.error ?? "")")
    }

    @Test("REMOTE_TARGET: an S3 prefix with '.', '..' or empty segments is refused at configuration time")
    func s3PrefixSegmentsRefused() throws {
        for bad in ["s3://pra-backups/db01/./x", "s3://pra-backups/./db01", "s3://pra-backups/db01/..", "s3://pra-backups/a//b", "s3://pra-backups//db01"] {
            let error = try #require(throws: ConfigurationError.self, "\(bad)") { try RemoteTarget(bad) }
            #expect(error.message.contains("REMOTE_TARGET"), "\(error)")
        }
        #expect(try RemoteTarget("s3://pra-backups/db01/") == .s3(bucket: "pra-backups", prefix: "db01"), "a trailing slash is harmless")
        #expect(try RemoteTarget("s3://pra-backups/prod.eu/db-01") == .s3(bucket: "pra-backups", prefix: "prod.eu/db-01"))
    }

    @Test("REMOTE_TARGET with a user and password in an s3:// or unknown URL: refused, and the error does not show the secret")
    func targetUserinfoNeverPrinted() throws {
        for bad in ["s3://AKIDLEAK:supersecret@pra-backups/db01", "https://AKIDLEAK:supersecret@s3.example/pra-backups/db01"] {
            let error = try #require(throws: ConfigurationError.self, "\(bad)") { try RemoteTarget(bad) }
            #expect(!error.message.contains("supersecret") && !error.message.contains("AKIDLEAK"), "\(error)")
            #expect(error.message.contains("REMOTE_TARGET"), "\(error)")
        }
    }

    @Test("S3_ENDPOINT with a user and password: refused, and no error shows the secret", .requires(.seaweedfs))
    func endpointUserinfoNeverPrinted() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("userinfo")
        let port = LoopbackSocket.freePort() ?? 9
        for endpoint in ["http://AKIDLEAK:supersecret@127.0.0.1:\(port)", "ftp://AKIDLEAK:supersecret@127.0.0.1:\(port)", "http://AKIDLEAK:supersecret@"] {
            var environment = server.environment(bucket: bucket)
            environment["S3_ENDPOINT"] = endpoint
            environment["S3_MAX_RETRIES"] = "0"
            let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: TestEnvironment.baseEnvironment(environment))
            var message: String?
            do {
                try RemoteTarget(configuration["REMOTE_TARGET"] ?? "").store(configuration: configuration).prepare()
            } catch {
                message = "\(error)"
            }
            let text = try #require(message, "\(endpoint) was accepted and reached")
            #expect(!text.contains("supersecret") && !text.contains("AKIDLEAK"), "\(text)")
            #expect(text.contains("S3_ENDPOINT"), "\(text)")
        }
    }

    @Test("S3: the part spool cannot be redirected through the backup directory: a racing symlink at the part's name changes neither the upload nor its target", .requires(.seaweedfs))
    func partSpoolIgnoresPlantedSymlinks() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("spool")
        let store = try Self.s3Store(server, bucket: bucket, partSize: 5 << 20)
        let scratch = TestEnvironment.temporaryDirectory("spool")
        let local = scratch + "/backups"
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        let victim = scratch + "/victim"
        let precious = Data("root-owned file the postgres user must not be able to overwrite\n".utf8)
        try precious.write(to: URL(fileURLWithPath: victim))
        chmod(victim, 0o644)
        let backup = try makeDatabaseBackup(in: local, database: "prod", prefix: "prod", daysAgo: 0, bytes: 16 << 20)
        let name = Self.name(backup.archive)
        // What a postgres-owned process could do in a postgres-writable BACKUP_DIR: keep planting
        // a symbolic link where pra spooled each part.
        let racer = SymlinkRacer(link: local + "/.\(name).s3part", target: victim)
        racer.start()
        var failure: String?
        do {
            try store.put(backup.archive, as: name, expected: try FileDigest(path: backup.archive))
        } catch {
            failure = "\(error)"
        }
        racer.stop()
        unlink(local + "/.\(name).s3part")
        #expect(racer.planted > 10, "the racer did not run")
        #expect(failure == nil, "\(failure ?? "")")
        #expect(FileManager.default.contents(atPath: victim) == precious, "the symlink's target was written")
        var info = stat()
        #expect(stat(victim, &info) == 0 && info.st_mode & 0o777 == 0o644, "the symlink's target changed mode")
        #expect(try store.digest(of: name, partial: false, readBack: true) == FileDigest(path: backup.archive))
    }
}

/// What the copy thread reports back.
final class CopyOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String??
    func set(_ error: String?) { lock.lock(); value = .some(error); lock.unlock() }
    var error: String? { lock.lock(); defer { lock.unlock() }; return value ?? "did not finish" }
}

/// Replaces `link` with a symbolic link to `target` in a tight loop until stopped.
final class SymlinkRacer: @unchecked Sendable {
    let link: String
    let target: String
    private let lock = NSLock()
    private var stopped = false
    private var count = 0
    private let done = DispatchSemaphore(value: 0)

    init(link: String, target: String) {
        self.link = link
        self.target = target
    }

    var planted: Int { lock.lock(); defer { lock.unlock() }; return count }

    func start() {
        Thread.detachNewThread { [self] in
            while true {
                lock.lock()
                let stop = stopped
                lock.unlock()
                if stop { break }
                unlink(link)
                if symlink(target, link) == 0 {
                    lock.lock(); count += 1; lock.unlock()
                }
            }
            done.signal()
        }
    }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        done.wait()
    }
}
