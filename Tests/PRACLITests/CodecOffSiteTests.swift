import Foundation
import PRACore
import PRAHarness
import PRATestSupport
import Testing

/// The off-site copies of an lz4 base backup and of zstd WAL in a real S3 store (SeaweedFS),
/// and recovery from them alone when the site is lost.
@Suite("off-site lz4 base backup and zstd WAL in S3", .serialized, .requires(.postgresServer, .seaweedfs))
struct CodecOffSiteTests {
    @Test("s3: an lz4 base backup and zstd WAL are copied under their own names and verify off-site; with the local base backups and WAL archive gone, PITR from the bucket brings back exactly the rows before the mark")
    func restoreFromBucket() throws {
        let s3 = try LoopbackS3Server.start()
        let bucket = try s3.makeBucket("codecs3")
        let remote = s3.environment(bucket: bucket)
        let server = try ArchivingCluster(label: "codecs3")
        try server.archiveWAL(in: .zstd)
        let base = try server.pra(["backup", "--base", "--json"], extra: remote.merging([Setting.baseBackupCompression.name: "lz4"]) { $1 }, timeout: 600)
        #expect(base.exitCode == 0, "\(base.stdout) \(base.stderr)")
        let archive = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete).name.fileName
        #expect(archive.hasSuffix(".tar.lz4"))
        let mark = try server.mark(before: "before mark", after: "after mark")
        try server.switchAndWait()
        let sync = try server.pra(["wal", "sync"], extra: remote, timeout: 600)
        #expect(sync.exitCode == 0, "\(sync.stdout) \(sync.stderr)")
        let keys = Set(try s3.keys(bucket: bucket))
        for file in [archive, archive + ".backup_manifest", archive + ".manifest.json"] { #expect(keys.contains("pra/" + file), "\(keys)") }
        let walKeys = keys.filter { $0.hasPrefix("pra/wal/") && $0 != "pra/wal/archive.json" }
        #expect(!walKeys.isEmpty && walKeys.allSatisfy { $0.hasSuffix(".zst") }, "\(walKeys)")
        let verify = try server.pra(["verify", "--all"], extra: remote, timeout: 600)
        #expect(verify.exitCode == 0, "\(verify.stdout) \(verify.stderr)")
        // The off-site copies read through where they are: the lz4 base backup against its manifest, every zstd WAL file.
        let verifyRemote = try server.pra(["verify", "--remote"], extra: remote, timeout: 600)
        #expect(verifyRemote.exitCode == 0, "\(verifyRemote.stdout) \(verifyRemote.stderr)")
        #expect(verifyRemote.stdout.contains(archive), "\(verifyRemote.stdout)")

        // The site is lost: no local base backup, no local WAL archive.
        for file in try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory) where file.contains("_backup_base_") {
            try FileManager.default.removeItem(atPath: server.backupDirectory + "/" + file)
        }
        try FileManager.default.moveItem(atPath: server.archive.root, toPath: server.backupDirectory + "-wal-aside")
        let target = server.targetDirectory("codecs3-target")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--target-time", ArchivingCluster.iso(mark), "--json"], extra: remote, timeout: 600)
        #expect(restore.exitCode == 0, "\(restore.stdout) \(restore.stderr)")
        #expect(restore.stdout.contains("\"baseBackupSource\" : \"s3://\(bucket)/pra/\(archive) (off-site)\""), "\(restore.stdout)")
        let recovered = try server.recovered(target)
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'before mark'") == "7")
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'after mark'") == "0")
    }
}
