import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// A fake complete backup (archive + manifest files) in `directory`, `daysAgo` old.
func makeBackupFiles(in directory: String, daysAgo: Double = 0, bytes: Int = 200_000) throws -> (archive: String, manifest: String) {
    let name = BackupArchiveName(prefix: "akig", timestamp: Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - daysAgo * 86400).rounded(.down)))
    let archive = (directory as NSString).appendingPathComponent(name.fileName)
    var generator = SystemRandomNumberGenerator()
    try Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: archive))
    // A valid manifest: remote retention deletes only copies whose manifest names the database.
    let digest = try FileDigest(path: archive)
    let manifest = BackupManifest(database: "akig", serverVersion: "16.4", pgDumpVersion: "16.4", startedAt: name.timestamp, finishedAt: name.timestamp,
                                  archive: name.fileName, compressedBytes: digest.size, uncompressedBytes: digest.size, sha256: digest.sha256,
                                  compressionLevel: 6, snapshot: "00000003-00000002-1", tables: [])
    try manifest.encoded().write(to: URL(fileURLWithPath: archive + BackupArchiveName.manifestSuffix))
    return (archive, archive + BackupArchiveName.manifestSuffix)
}

@Suite("remote copy to a directory and over ssh")
struct RemoteCopyTests {
    @Test("REMOTE_TARGET: directories and ssh:// URLs; unsafe ssh paths, users and hosts refused")
    func parsing() throws {
        #expect(try RemoteTarget("/mnt/offsite/pra") == .directory("/mnt/offsite/pra"))
        #expect(try RemoteTarget("ssh://pra@vault.example:2222/srv/pra-backups") == .ssh(user: "pra", host: "vault.example", port: 2222, path: "/srv/pra-backups"))
        for bad in ["relative/dir", "ssh://vault/srv", "ssh://pra@vault/srv/a%20b", "ssh://pra@vault/srv/$(reboot)", "ssh://pra@vault/srv/../etc",
                    "ssh://pra:secret@vault/srv", "ssh://-oProxyCommand@vault/srv", "ftp://pra@vault/srv", "ssh://pra@vault/srv/it's"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try RemoteTarget(bad) }
        }
        #expect(throws: RemoteError.self) { try SSHRemoteStore.quote("/srv/a'b") }
    }

    @Test("directory target: archive then manifest copied, read back equal, no partial left; retention prunes old copies")
    func directoryTarget() throws {
        let local = TestEnvironment.temporaryDirectory("remotelocal")
        let remoteDirectory = TestEnvironment.temporaryDirectory("remotedir") + "/offsite"
        try FileManager.default.createDirectory(atPath: remoteDirectory, withIntermediateDirectories: true)
        let old = try makeBackupFiles(in: remoteDirectory, daysAgo: 40)
        let older = try makeBackupFiles(in: remoteDirectory, daysAgo: 41)
        let backup = try makeBackupFiles(in: local)
        let operation = RemoteCopyOperation(store: DirectoryRemoteStore(directory: remoteDirectory), retention: RetentionPolicy(retentionDays: 30, minimumKept: 2))
        let result = try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest)
        let name = (backup.archive as NSString).lastPathComponent
        #expect(result.archive == name)
        #expect(result.sha256 == (try FileDigest(path: backup.archive)).sha256)
        #expect(try FileDigest(path: remoteDirectory + "/" + name) == FileDigest(path: backup.archive))
        #expect(FileManager.default.fileExists(atPath: remoteDirectory + "/" + name + ".manifest.json"))
        #expect(result.deletedByRetention == [(older.archive as NSString).lastPathComponent], "the two newest are kept, the 41-day-old one goes")
        let files = try FileManager.default.contentsOfDirectory(atPath: remoteDirectory)
        #expect(!files.contains { $0.hasSuffix(".partial") })
        #expect(files.contains((old.archive as NSString).lastPathComponent))
        #expect(try operation.completeBackups().map(\.fileName) == [name, (old.archive as NSString).lastPathComponent])
        #expect(FileManager.default.fileExists(atPath: backup.archive), "the local backup stays")

        let fetched = try operation.fetch(try #require(BackupArchiveName(fileName: name)), into: local + "/fetch")
        #expect(try FileDigest(path: fetched) == FileDigest(path: backup.archive))
    }

    @Test("directory target unreachable (not a directory): the error names the target and the reason")
    func directoryUnreachable() throws {
        let local = TestEnvironment.temporaryDirectory("remoteunreach")
        let backup = try makeBackupFiles(in: local)
        let blocker = local + "/not-a-dir"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let operation = RemoteCopyOperation(store: DirectoryRemoteStore(directory: blocker + "/offsite"))
        let failure = try #require(throws: OperationFailure.self) { try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest) }
        #expect(failure.stage == "remote copy")
        #expect(failure.message.contains(blocker + "/offsite"))
    }

    @Test("directory target full: the upload fails with ENOSPC and leaves no partial file", .requires(.root))
    func directoryFull() throws {
        let local = TestEnvironment.temporaryDirectory("remotefull")
        let mountPoint = local + "/mnt"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try ExternalProcess(executable: "/bin/mount", arguments: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]).runChecked()
        defer { _ = try? ExternalProcess(executable: "/bin/umount", arguments: ["-l", mountPoint]).run() }
        let backup = try makeBackupFiles(in: local, bytes: 300_000)
        let operation = RemoteCopyOperation(store: DirectoryRemoteStore(directory: mountPoint))
        let failure = try #require(throws: OperationFailure.self) { try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest) }
        #expect(failure.message.contains("No space left on device"), "\(failure.message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).isEmpty)
    }

    @Test("ssh target on a loopback sshd: copy, read back, list, retention, fetch; unreachable port named",
          .requires(.sshd))
    func sshTarget() throws {
        let server = try LoopbackSSHServer()
        let local = TestEnvironment.temporaryDirectory("remotessh")
        let remoteDirectory = TestEnvironment.temporaryDirectory("remotesshdst") + "/deep/offsite"
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: [
            "REMOTE_TARGET": server.target(remoteDirectory), "REMOTE_SSH_KEY": server.clientKey, "REMOTE_SSH_KNOWN_HOSTS": server.knownHosts,
            "BACKUP_RETENTION_DAYS": "30", "BACKUP_MIN_KEEP": "1",
        ])
        let operation = try #require(try RemoteCopyOperation(configuration: configuration))
        let old = try makeBackupFiles(in: local, daysAgo: 45)
        _ = try operation.copy(archivePath: old.archive, manifestPath: old.manifest, now: Date().addingTimeInterval(-45 * 86400))
        let backup = try makeBackupFiles(in: local)
        let result = try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest)
        let name = (backup.archive as NSString).lastPathComponent
        #expect(result.target == server.target(remoteDirectory))
        #expect(try FileDigest(path: remoteDirectory + "/" + name) == FileDigest(path: backup.archive))
        #expect(result.deletedByRetention == [(old.archive as NSString).lastPathComponent])
        #expect(try operation.completeBackups().map(\.fileName) == [name])
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: remoteDirectory)).contains { $0.hasSuffix(".partial") })
        let fetched = try operation.fetch(try #require(BackupArchiveName(fileName: name)), into: local + "/fetch")
        #expect(try FileDigest(path: fetched) == FileDigest(path: backup.archive))

        var closed = configuration
        closed.set("REMOTE_TARGET", "ssh://root@127.0.0.1:1/srv/pra")
        let unreachable = try #require(try RemoteCopyOperation(configuration: closed))
        let failure = try #require(throws: OperationFailure.self) { try unreachable.copy(archivePath: backup.archive, manifestPath: backup.manifest) }
        #expect(failure.message.contains("ssh cannot reach 127.0.0.1"), "\(failure.message)")
    }
}

@Suite("restore from the remote copy", .requires(.postgresServer))
struct RemoteRestoreTests {
    @Test("local backups gone: pra restore --latest fetches the remote copy, restores it and says so")
    func restoreFromRemote() throws {
        let database = try TestEnvironment.fixtureDatabase("remoterestore", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("remoterestore")
        let remote = TestEnvironment.temporaryDirectory("remoterestoredst")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory + "/backups", extra: ["REMOTE_TARGET": remote])
        let backup = try BackupOperation(configuration: configuration).run()
        _ = try #require(try RemoteCopyOperation(configuration: configuration)).copy(archivePath: backup.archive, manifestPath: backup.manifest)
        try FileManager.default.removeItem(atPath: backup.archive)
        try FileManager.default.removeItem(atPath: backup.manifest)
        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_r")
        #expect(result.succeeded, "\(result.summary)")
        #expect(result.fetchedFromRemote.first?.contains((backup.archive as NSString).lastPathComponent) == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/backups").allSatisfy { !$0.hasPrefix(RestoreOperation.remoteFetchDirectory) }, "the fetched copy is removed afterwards")
        let report = try String(contentsOfFile: try #require(result.reportFile), encoding: .utf8)
        #expect(report.contains("remote copy: fetched"))
    }
}
