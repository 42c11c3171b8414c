import Foundation
import PRACore
import PRATestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `pra backup --base` with `REMOTE_TARGET`, and `pra restore --pitr` from the off-site base
/// backup when `BACKUP_DIR` holds none (the WAL archive survives here: the off-site WAL is
/// `pra wal get`'s side).
@Suite("point-in-time recovery from the off-site base backup", .serialized, .requires(.postgresServer))
struct PointInTimeRemoteRestoreTests {
    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Deletes every local base backup file (archive, manifests, verification record).
    static func deleteLocalBaseBackups(_ server: ArchivingCluster) throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory) where file.contains("_backup_base_") {
            try FileManager.default.removeItem(atPath: server.backupDirectory + "/" + file)
        }
        #expect(BaseBackupCatalogue(directory: server.backupDirectory).entries.isEmpty)
    }

    /// Nothing private left in BACKUP_DIR: no fetched copy, no env file.
    static func expectNoScratch(_ server: ArchivingCluster) throws {
        let left = try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory).filter {
            $0.hasPrefix(RestoreCommandEnvironment.directoryPrefix) || $0.hasPrefix(RestoreOperation.remoteFetchDirectory)
        }
        #expect(left.isEmpty, "\(left)")
    }

    @Test("s3: base backup copied to the bucket; with no local base backup, --target-time brings back exactly the rows before the mark; keys never in postgresql.auto.conf; env file removed",
          .requires(.seaweedfs))
    func fromBucket() throws {
        let s3 = try LoopbackS3Server.start()
        let bucket = try s3.makeBucket("pitrs3")
        let remote = s3.environment(bucket: bucket)
        let server = try ArchivingCluster(label: "pitrs3")
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'before base' FROM generate_series(1, 3)")
        // 600 s: under the whole suite's parallel load the shared SeaweedFS has been seen to need more than the default 300 s.
        let base = try server.pra(["backup", "--base", "--json"], extra: remote, timeout: 600)
        #expect(base.exitCode == 0, "\(base.stdout) \(base.stderr)")
        #expect(base.stdout.contains("\"remoteCopy\"") && base.stdout.contains("s3://\(bucket)/pra"), "\(base.stdout)")
        let archive = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete).name.fileName
        let keys = Set(try s3.keys(bucket: bucket))
        for file in [archive, archive + ".backup_manifest", archive + ".manifest.json"] { #expect(keys.contains("pra/" + file), "\(keys)") }

        try server.sql("INSERT INTO pitr_marker (note) SELECT 'before mark' FROM generate_series(1, 7)")
        usleep(1_100_000)
        let mark = Date()
        usleep(1_100_000)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'after mark' FROM generate_series(1, 11)")
        try server.switchAndWait()

        // --from-remote: the off-site copy even though the local one would do; refused without REMOTE_TARGET.
        let chosen = server.targetDirectory("pitrs3-fromremote")
        let fromRemote = try server.pra(["restore", "--pitr", "--from-remote", "--target-dir", chosen, "--stop", "--json"], extra: remote)
        #expect(fromRemote.exitCode == 0, "\(fromRemote.stdout) \(fromRemote.stderr)")
        #expect(fromRemote.stdout.contains("\"baseBackupSource\" : \"s3://\(bucket)/pra/\(archive) (off-site)\""), "\(fromRemote.stdout)")
        #expect(fromRemote.stderr.contains("restoring the off-site copy \(archive)"), "\(fromRemote.stderr)")
        let noTarget = try server.pra(["restore", "--pitr", "--from-remote", "--target-dir", server.targetDirectory("pitrs3-noremote")])
        #expect(noTarget.exitCode == 2 && noTarget.stderr.contains("--from-remote needs REMOTE_TARGET"), "\(noTarget.stderr)")
        try Self.deleteLocalBaseBackups(server)

        let target = server.targetDirectory("pitrs3-target")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--target-time", Self.iso(mark), "--json"], extra: remote)
        #expect(restore.exitCode == 0, "\(restore.stdout) \(restore.stderr)")
        #expect(restore.stdout.contains("\"baseBackupSource\" : \"s3://\(bucket)/pra/\(archive) (off-site)\""), "\(restore.stdout)")
        #expect(restore.stdout.contains("\"walSource\" : \"local archive \(server.backupDirectory)/wal, then s3://\(bucket)/pra/wal\""), "\(restore.stdout)")
        #expect(restore.stderr.contains("no valid local backup: restoring the remote copy \(archive) from s3://\(bucket)/pra"), "\(restore.stderr)")

        let recovered = try PostgresConnection(ConnectionSettings(parameters: ["host": target, "port": try port(of: target), "user": "postgres", "dbname": server.database]), applicationName: "test")
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'before base'") == "3")
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'before mark'") == "7")
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'after mark'") == "0")

        // The keys reach restore_command through a private env file, never through argv or the configuration.
        let autoConf = try String(contentsOfFile: target + "/postgresql.auto.conf", encoding: .utf8)
        #expect(autoConf.contains("--env-file") && autoConf.contains(RestoreCommandEnvironment.directoryPrefix + "-"), "\(autoConf)")
        #expect(!autoConf.contains(s3.secretKey) && !autoConf.contains(s3.accessKey))
        #expect(!restore.stdout.contains(s3.secretKey) && !restore.stderr.contains(s3.secretKey))
        try Self.expectNoScratch(server)
    }

    @Test("an off-site copy the server's account cannot read: restore --pitr says so before restoring anything, naming the account and the store, instead of a FATAL mid-recovery")
    func offSiteUnreadableByServerAccount() throws {
        let server = try ArchivingCluster(label: "pitrdenied")
        guard let account = server.cluster.serverUser else { return }   // as root only: otherwise the account is ours
        let parent = TestEnvironment.temporaryDirectory("pitrdenied-offsite")
        chmod(parent, 0o755)
        let offsite = parent + "/copies"   // created by pra as root, mode 0750: the server's account cannot enter
        let remote = ["REMOTE_TARGET": offsite]
        #expect(try server.pra(["backup", "--base"], extra: remote).exitCode == 0)
        try Self.deleteLocalBaseBackups(server)
        let target = server.targetDirectory("pitrdenied-target")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target], extra: remote)
        #expect(restore.exitCode == 1, "\(restore.stdout) \(restore.stderr)")
        #expect(restore.stderr.contains("cannot read the off-site WAL") && restore.stderr.contains("(\(account))") && restore.stderr.contains(offsite + "/wal"), "\(restore.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target + "/PG_VERSION"), "nothing restored")
        try Self.expectNoScratch(server)
    }

    @Test("directory target: a failed off-site copy exits 3 with the local base backup complete; an off-site archive changed after upload is skipped for the older copy, and the restore says so")
    func fallbackPastBitRot() throws {
        let server = try ArchivingCluster(label: "pitrrot")
        // A target that is a file: the copy fails, the local backup stands (exit 3).
        let blocker = TestEnvironment.temporaryDirectory("pitrrot-blocker") + "/file"
        FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let failed = try server.pra(["backup", "--base"], extra: ["REMOTE_TARGET": blocker])
        #expect(failed.exitCode == 3, "\(failed.stdout) \(failed.stderr)")
        #expect(failed.stderr.contains("remote copy failed") && failed.stderr.contains(blocker) && failed.stderr.contains("is complete"), "\(failed.stderr)")
        let local = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete)
        #expect(try FileDigest(path: local.archivePath).sha256 == local.manifest?.sha256)
        try Self.deleteLocalBaseBackups(server)

        let offsiteParent = TestEnvironment.temporaryDirectory("pitrrot-offsite")
        chmod(offsiteParent, 0o755)
        let offsite = offsiteParent + "/copies"
        // As in production, the server's account (archive_command, restore_command) reaches the
        // off-site directory: restore --pitr checks that before it restores anything.
        try server.cluster.grantServerAccess(to: offsite)
        let remote = ["REMOTE_TARGET": offsite]
        let first = try server.pra(["backup", "--base"], extra: remote)
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.stdout.contains("remote copy verified: ") && first.stdout.contains("on \(offsite)"), "\(first.stdout)")
        let older = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete).name.fileName
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'between' FROM generate_series(1, 4)")
        usleep(1_100_000)
        #expect(try server.pra(["backup", "--base"], extra: remote).exitCode == 0)
        let newer = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete).name.fileName
        #expect(newer != older)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'after' FROM generate_series(1, 5)")
        try server.switchAndWait()

        // Bit rot off-site: bytes of the newest archive changed after upload.
        let handle = try #require(FileHandle(forUpdatingAtPath: offsite + "/" + newer))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data(repeating: 0x5a, count: 64))
        try handle.close()
        try Self.deleteLocalBaseBackups(server)

        let target = server.targetDirectory("pitrrot-target")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--json"], extra: remote)
        #expect(restore.exitCode == 0, "\(restore.stdout) \(restore.stderr)")
        #expect(restore.stderr.contains("fallback: off-site \(newer) failed verification"), "\(restore.stderr)")
        #expect(restore.stdout.contains("\"baseBackupSource\" : \"\(offsite)/\(older) (off-site)\""), "\(restore.stdout)")
        #expect(restore.stdout.contains("fell back past 1 newer base backup"), "\(restore.stdout)")
        let recovered = try PostgresConnection(ConnectionSettings(parameters: ["host": target, "port": try port(of: target), "user": "postgres", "dbname": server.database]), applicationName: "test")
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'between'") == "4")
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'after'") == "5")
        // No REMOTE_TARGET keys to hand over for a directory, but the target itself goes through the env file.
        let autoConf = try String(contentsOfFile: target + "/postgresql.auto.conf", encoding: .utf8)
        #expect(autoConf.contains(RestoreCommandEnvironment.directoryPrefix + "-"), "\(autoConf)")
        try Self.expectNoScratch(server)
        // The off-site copies themselves are untouched by the restore.
        #expect(try FileManager.default.contentsOfDirectory(atPath: offsite).filter { $0.hasSuffix(".tar.gz") }.sorted() == [older, newer].sorted())
    }

    /// The port the recovered server on `directory` listens on (its postmaster.pid, line 4).
    func port(of directory: String) throws -> String {
        let pid = try String(contentsOfFile: directory + "/postmaster.pid", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        return String(pid[3])
    }
}
