import Foundation
import PRATestSupport
import Testing

@testable import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// A fake complete base backup (archive, PostgreSQL's `.backup_manifest`, pra manifest) in
/// `directory`, `daysAgo` old, of `database` on the cluster `systemIdentifier`.
func makeBaseBackupFiles(in directory: String, prefix: String = "shop", database: String = "shop", systemIdentifier: String = "7000000000000000001",
                         daysAgo: Double = 0, bytes: Int = 200_000) throws -> String {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let stamp = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - daysAgo * 86400).rounded(.down))
    let name = BackupArchiveName(prefix: prefix, timestamp: stamp, kind: .base)
    let archive = (directory as NSString).appendingPathComponent(name.fileName)
    var generator = SystemRandomNumberGenerator()
    try Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: archive))
    let postgresManifest = Data("{\"PostgreSQL-Backup-Manifest-Version\": 1, \"Files\": []}\n".utf8)
    try postgresManifest.write(to: URL(fileURLWithPath: archive + BaseBackupManifest.postgresManifestSuffix))
    let digest = try FileDigest(path: archive)
    let manifest = BaseBackupManifest(
        database: database, systemIdentifier: systemIdentifier, serverVersion: "15.8", pgBasebackupVersion: "15", startedAt: stamp, finishedAt: stamp,
        archive: name.fileName, compressedBytes: digest.size, uncompressedBytes: digest.size, sha256: digest.sha256, compressionLevel: 6, timeline: 1,
        startLSN: LogSequenceNumber("0/2000028")!, endLSN: LogSequenceNumber("0/2000100")!, startSegment: "000000010000000000000002", endSegment: "000000010000000000000002",
        postgresManifest: name.fileName + BaseBackupManifest.postgresManifestSuffix, postgresManifestSHA256: try FileDigest(path: archive + BaseBackupManifest.postgresManifestSuffix).sha256, fileCount: 1)
    try manifest.encoded().write(to: URL(fileURLWithPath: archive + BackupArchiveName.manifestSuffix))
    return archive
}

@Suite("base backups off-site: copy, retention scoped by database and cluster, listing and fetch", .serialized)
struct BaseBackupRemoteCopyTests {
    static let clusterA = "7000000000000000001"
    static let clusterB = "7000000000000000002"

    static func operation(_ environment: [String: String]) throws -> RemoteCopyOperation {
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: environment.merging(["BASE_BACKUP_RETENTION_DAYS": "30", "BASE_BACKUP_MIN_KEEP": "1"]) { $1 })
        var operation = try #require(try RemoteCopyOperation.forBaseBackups(configuration: configuration))
        operation.orphanGrace = 3600
        return operation
    }

    /// Fills the target with what other clusters and databases keep there, then copies this
    /// cluster's old and new base backups: retention removes this cluster's expired copy and its
    /// orphan only. Returns the names that must still be there and the one that must be gone.
    static func exerciseSharedTarget(_ operation: RemoteCopyOperation, listing: () throws -> [String]) throws {
        let local = TestEnvironment.temporaryDirectory("bbremote-local")
        let others = TestEnvironment.temporaryDirectory("bbremote-others")
        // Another cluster, same database name and prefix; another database of this cluster; a dump of this database: all old.
        let otherCluster = try makeBaseBackupFiles(in: others + "/b", systemIdentifier: clusterB, daysAgo: 60)
        let otherDatabase = try makeBaseBackupFiles(in: others + "/d", prefix: "crm", database: "crm", systemIdentifier: clusterA, daysAgo: 61)
        try FileManager.default.createDirectory(atPath: others + "/dump", withIntermediateDirectories: true)
        let dump = try makeBackupFiles(in: others + "/dump", daysAgo: 62)
        let old = try makeBaseBackupFiles(in: local, systemIdentifier: clusterA, daysAgo: 45)
        for archive in [otherCluster, otherDatabase] { _ = try operation.copyBase(archivePath: archive, now: Date().addingTimeInterval(-70 * 86400)) }
        _ = try operation.store.put(dump.archive, as: (dump.archive as NSString).lastPathComponent, expected: FileDigest(path: dump.archive))
        _ = try operation.store.put(dump.manifest, as: (dump.manifest as NSString).lastPathComponent, expected: FileDigest(path: dump.manifest))
        _ = try operation.copyBase(archivePath: old, now: Date().addingTimeInterval(-45 * 86400))
        // An orphan of this database (a copy killed before its manifest): archive only, two days old.
        let orphan = try makeBaseBackupFiles(in: TestEnvironment.temporaryDirectory("bbremote-orphan"), systemIdentifier: clusterA, daysAgo: 2)
        let orphanName = (orphan as NSString).lastPathComponent
        try operation.store.put(orphan, as: orphanName, expected: FileDigest(path: orphan))

        let new = try makeBaseBackupFiles(in: local, systemIdentifier: clusterA, daysAgo: 0, bytes: 300_000)
        let result = try operation.copyBase(archivePath: new)
        let newName = (new as NSString).lastPathComponent
        #expect(result.archive == newName)
        #expect(result.sha256 == (try FileDigest(path: new)).sha256)
        #expect(Set(result.deletedByRetention) == [(old as NSString).lastPathComponent, orphanName], "\(result.deletedByRetention) \(result.warnings)")

        let names = Set(try listing())
        for archive in [new, otherCluster, otherDatabase] {
            let name = (archive as NSString).lastPathComponent
            for file in [name, name + BaseBackupManifest.postgresManifestSuffix, name + BackupArchiveName.manifestSuffix] {
                #expect(names.contains(file), "\(file) missing from \(names.sorted())")
            }
        }
        #expect(names.contains((dump.archive as NSString).lastPathComponent) && names.contains((dump.manifest as NSString).lastPathComponent))
        let oldName = (old as NSString).lastPathComponent
        for gone in [oldName, oldName + BaseBackupManifest.postgresManifestSuffix, oldName + BackupArchiveName.manifestSuffix, orphanName] {
            #expect(!names.contains(gone), "\(gone) should have been deleted")
        }
        #expect(!names.contains { $0.hasSuffix(".partial") })

        // Listing for a restore: this cluster's copies only, newest first; fetch gives back identical files.
        var problems: [String] = []
        let mine = try operation.completeBaseBackups(systemIdentifier: clusterA, problems: &problems)
        #expect(mine.map(\.name.fileName) == [newName, (otherDatabase as NSString).lastPathComponent], "\(problems)")
        let theirs = try operation.completeBaseBackups(database: "shop", systemIdentifier: clusterB, problems: &problems)
        #expect(theirs.map(\.name.fileName) == [(otherCluster as NSString).lastPathComponent])
        let fetchDirectory = TestEnvironment.temporaryDirectory("bbremote-fetch")
        let entry = try operation.fetchBase(try #require(mine.first).name, into: fetchDirectory)
        #expect(try FileDigest(path: entry.archivePath) == FileDigest(path: new))
        #expect(try FileDigest(path: entry.postgresManifestPath) == FileDigest(path: new + BaseBackupManifest.postgresManifestSuffix))
        #expect(entry.manifest?.systemIdentifier == clusterA)

        // Streamed (what restore --pitr extracts from, with no local copy): the same bytes; a
        // missing object ends the stream at once and finish() names the failure.
        let manifestsOnly = try operation.fetchBaseManifests(try #require(mine.first).name, into: TestEnvironment.temporaryDirectory("bbremote-stream"))
        #expect(!FileManager.default.fileExists(atPath: manifestsOnly.archivePath))
        #expect(manifestsOnly.manifest?.sha256 == (try FileDigest(path: new)).sha256)
        let stream = try RemoteArchiveStream.open(newName, on: operation.store)
        let streamed = TestEnvironment.temporaryDirectory("bbremote-streamed") + "/archive"
        FileManager.default.createFile(atPath: streamed, contents: try stream.handle.readToEnd() ?? Data())
        #expect(stream.finish() == nil)
        #expect(try FileDigest(path: streamed) == FileDigest(path: new))
        if let missing = try? RemoteArchiveStream.open("shop_backup_base_20200101_000000.tar.gz", on: operation.store) {
            #expect((try missing.handle.readToEnd() ?? Data()).isEmpty)
            let failure = missing.finish()
            #expect(failure?.operation == "download", "\(String(describing: failure))")
        }
    }

    @Test("directory target: three files, pra manifest last, read back; retention never touches another cluster's, another database's or a dump's files")
    func directoryTarget() throws {
        let target = TestEnvironment.temporaryDirectory("bbremote-dir") + "/offsite"
        let operation = try Self.operation(["REMOTE_TARGET": target])
        try Self.exerciseSharedTarget(operation) { try FileManager.default.contentsOfDirectory(atPath: target) }
    }

    @Test("s3 target on SeaweedFS: the same copy, checks and scoped retention in a shared bucket; a large archive goes multipart", .requires(.seaweedfs))
    func s3Target() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("bbremote")
        var operation = try Self.operation(server.environment(bucket: bucket))
        var store = try #require(operation.store as? S3RemoteStore)
        store.partSize = 5 << 20
        operation = RemoteCopyOperation(store: store, retention: operation.retention)
        operation.orphanGrace = 3600
        try Self.exerciseSharedTarget(operation) { try server.keys(bucket: bucket).map { String($0.dropFirst("pra/".count)) } }
        // 12 MiB: three parts of 5 MiB, no upload left pending.
        let large = try makeBaseBackupFiles(in: TestEnvironment.temporaryDirectory("bbremote-large"), systemIdentifier: Self.clusterA, bytes: 12 << 20)
        let copied = try operation.copyBase(archivePath: large)
        #expect(copied.bytes == 12 << 20)
        #expect(try server.pendingUploads(bucket: bucket).isEmpty)
        #expect(try server.keys(bucket: bucket).contains("pra/" + (large as NSString).lastPathComponent + BackupArchiveName.manifestSuffix))
        // Streamed back in ranges (three of 4 MiB): the same bytes in order.
        let stream = try RemoteArchiveStream.open((large as NSString).lastPathComponent, on: operation.store)
        let streamed = TestEnvironment.temporaryDirectory("bbremote-large-streamed") + "/archive"
        FileManager.default.createFile(atPath: streamed, contents: try stream.handle.readToEnd() ?? Data())
        #expect(stream.finish() == nil)
        #expect(try FileDigest(path: streamed) == FileDigest(path: large))
    }

    @Test("ssh target on a loopback sshd: copy and scoped retention", .requires(.sshd))
    func sshTarget() throws {
        let server = try LoopbackSSHServer()
        let target = TestEnvironment.temporaryDirectory("bbremote-ssh") + "/offsite"
        let operation = try Self.operation(["REMOTE_TARGET": server.target(target), "REMOTE_SSH_KEY": server.clientKey, "REMOTE_SSH_KNOWN_HOSTS": server.knownHosts])
        try Self.exerciseSharedTarget(operation) { try FileManager.default.contentsOfDirectory(atPath: target) }
    }

    @Test("a target that cannot be written: the copy fails naming it, nothing complete-looking is left, the local files untouched")
    func copyFailure() throws {
        let blocker = TestEnvironment.temporaryDirectory("bbremote-fail") + "/not-a-directory"
        FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let operation = try Self.operation(["REMOTE_TARGET": blocker])
        let archive = try makeBaseBackupFiles(in: TestEnvironment.temporaryDirectory("bbremote-fail-local"))
        let before = try FileDigest(path: archive)
        let failure = try #require(throws: OperationFailure.self) { try operation.copyBase(archivePath: archive) }
        #expect(failure.stage == "remote copy")
        #expect(failure.message.contains(blocker) && failure.message.contains("is not a directory"), "\(failure.message)")
        #expect(try FileDigest(path: archive) == before)
        #expect(FileManager.default.fileExists(atPath: archive + BackupArchiveName.manifestSuffix))
    }

    @Test("restore_command's env file: REMOTE_TARGET and the resolved keys only, mode 0600, in a private directory, removed; /dev/null without REMOTE_TARGET")
    func restoreCommandEnvironment() throws {
        let backups = TestEnvironment.temporaryDirectory("bbremote-env")
        let none = try RestoreCommandEnvironment.create(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: [:]), backupDirectory: backups, user: nil)
        #expect(none.path == "/dev/null")
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: [
            "REMOTE_TARGET": "s3://bucket/pra", "S3_ENDPOINT": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "it's a secret",
            "PGPASSWORD": "database-password", "SLACK_WEBHOOK": "https://hooks.example/secret",
        ])
        let file = try RestoreCommandEnvironment.create(configuration: configuration, backupDirectory: backups, user: nil)
        let directory = try #require(file.directory)
        #expect((directory as NSString).lastPathComponent.hasPrefix(".pra-restore-env-"))
        var info = stat()
        #expect(stat(file.path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat(directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
        let values = try EnvFile(path: file.path).values
        #expect(values["REMOTE_TARGET"] == "s3://bucket/pra" && values["S3_ENDPOINT"] == "http://127.0.0.1:9")
        #expect(values["AWS_ACCESS_KEY_ID"] == "AKIDTEST" && values["AWS_SECRET_ACCESS_KEY"] == "it's a secret", "\(values)")
        #expect(Set(values.keys).isSubset(of: Set(RestoreCommandEnvironment.variables + ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])), "\(values.keys.sorted())")
        #expect(values["PGPASSWORD"] == nil && values["SLACK_WEBHOOK"] == nil)
        // What pra wal get will read: the same target and keys.
        let reread = try Configuration(envFile: file.path, environment: [:])
        #expect(reread["AWS_SECRET_ACCESS_KEY"] == "it's a secret" && reread.warnings.isEmpty, "\(reread.warnings)")
        file.remove()
        #expect(!FileManager.default.fileExists(atPath: directory))
        // After a site loss BACKUP_DIR may not exist yet: it is created.
        let fresh = try RestoreCommandEnvironment.create(configuration: configuration, backupDirectory: backups + "/lost/backups", user: nil)
        #expect(FileManager.default.fileExists(atPath: fresh.path))
        fresh.remove()
    }
}
