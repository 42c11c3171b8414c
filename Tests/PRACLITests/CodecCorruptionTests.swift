import Foundation
import PRACore
import PRATestSupport
import Testing

/// Damage to zstd and lz4 base backups and segments, and files whose name lies about their
/// format: verify and restore refuse them, naming the file.
@Suite("damaged and misnamed zstd and lz4 archives on real PostgreSQL", .serialized, .requires(.postgresServer))
struct CodecCorruptionTests {
    /// Flips one byte in the middle of `path`.
    static func flipByte(_ path: String) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    /// Cuts `path` to 60 % of its size.
    static func truncate(_ path: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count * 6 / 10).write(to: URL(fileURLWithPath: path))
    }

    @Test("a flipped byte or a cut in a zstd/lz4 base backup and segment: verify fails naming the file, wal get exits 126 naming the segment, restore --pitr refuses",
          arguments: [CompressionCodec.zstd, .lz4])
    func damage(codec: CompressionCodec) throws {
        let server = try ArchivingCluster(label: "codec-damage-\(codec.rawValue)")
        try server.archiveWAL(in: codec)
        let base = try server.pra(["backup", "--base"], extra: [Setting.baseBackupCompression.name: codec.rawValue])
        #expect(base.exitCode == 0, "\(base.stdout) \(base.stderr)")
        let entry = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete)
        let archiveName = (entry.archivePath as NSString).lastPathComponent
        #expect(archiveName.hasSuffix(".tar" + codec.fileExtension))
        let pristine = try Data(contentsOf: URL(fileURLWithPath: entry.archivePath))
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('x')")
        let name = try server.switchAndWait()
        let segment = try #require(try server.archive.find(WALFileName(name)!))
        let pristineSegment = try Data(contentsOf: URL(fileURLWithPath: segment.path))
        let work = TestEnvironment.temporaryDirectory("codec-damage-get-\(codec.rawValue)")

        for (label, damage) in [("flipped byte", Self.flipByte), ("truncated", Self.truncate)] as [(String, (String) throws -> Void)] {
            try pristine.write(to: URL(fileURLWithPath: entry.archivePath))
            try pristineSegment.write(to: URL(fileURLWithPath: segment.path))
            try damage(entry.archivePath)
            try damage(segment.path)

            let verify = try server.pra(["verify", "--all"])
            #expect(verify.exitCode == 1, "\(label): \(verify.stdout)")
            #expect(verify.stdout.contains(archiveName), "\(label): \(verify.stdout)")
            #expect(verify.stdout.contains("corrupt: \(name)"), "\(label): \(verify.stdout)")

            let get = try server.pra(["wal", "get", name, work + "/RECOVERYXLOG"])
            #expect(get.exitCode == 126, "\(label): \(get.stderr)")
            #expect(get.stderr.contains(name) && get.stderr.contains("corrupt"), "\(label): \(get.stderr)")
            #expect(!FileManager.default.fileExists(atPath: work + "/RECOVERYXLOG"))

            let target = server.targetDirectory("codec-damage-pitr-\(codec.rawValue)")
            defer { server.stopRecovered(target) }
            let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop"])
            #expect(restore.exitCode != 0, "\(label): \(restore.stdout) \(restore.stderr)")
            #expect(restore.stderr.contains(archiveName), "\(label): \(restore.stderr)")
        }
    }

    @Test("a file whose name says .zst but holds gzip is refused: a base backup (manifest agreeing with the name, or not) and a WAL segment, each named")
    func misnamed() throws {
        let server = try ArchivingCluster(label: "codec-misnamed")
        try server.archiveWAL(in: .gzip)
        let base = try server.pra(["backup", "--base"])
        #expect(base.exitCode == 0, "\(base.stdout) \(base.stderr)")
        let entry = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete)
        let gzipName = (entry.archivePath as NSString).lastPathComponent
        #expect(gzipName.hasSuffix(".tar.gz"))
        let zstName = String(gzipName.dropLast(".gz".count)) + ".zst"
        let directory = server.backupDirectory + "/"
        for suffix in ["", BackupArchiveName.manifestSuffix, BaseBackupManifest.postgresManifestSuffix] {
            try FileManager.default.moveItem(atPath: directory + gzipName + suffix, toPath: directory + zstName + suffix)
        }
        // The manifest still says gzip: name and manifest disagree.
        let disagreeing = try server.pra(["verify", "--all"])
        #expect(disagreeing.exitCode == 1, "\(disagreeing.stdout)")
        #expect(disagreeing.stdout.contains("the manifest records gzip but the file name \(zstName) says zstd"), "\(disagreeing.stdout)")
        // The manifest edited to agree with the name: the magic number still tells.
        var manifest = try BaseBackupManifest.load(path: directory + zstName + BackupArchiveName.manifestSuffix)
        manifest.compression = .zstd
        manifest.archive = zstName
        try manifest.encoded().write(to: URL(fileURLWithPath: directory + zstName + BackupArchiveName.manifestSuffix))
        let verify = try server.pra(["verify", "--all"])
        #expect(verify.exitCode == 1, "\(verify.stdout)")
        #expect(verify.stdout.contains("\(zstName) is named as zstd (.zst) but holds gzip data"), "\(verify.stdout)")
        let target = server.targetDirectory("codec-misnamed-pitr")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop"])
        #expect(restore.exitCode != 0, "\(restore.stdout) \(restore.stderr)")
        #expect(restore.stderr.contains(zstName), "\(restore.stderr)")

        // A gzip segment renamed .zst: wal get refuses it (126), naming it and what it holds.
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('x')")
        let name = try server.switchAndWait()
        let segment = try #require(try server.archive.find(WALFileName(name)!))
        let renamed = String(segment.path.dropLast(".gz".count)) + ".zst"
        try FileManager.default.moveItem(atPath: segment.path, toPath: renamed)
        let get = try server.pra(["wal", "get", name, TestEnvironment.temporaryDirectory("codec-misnamed-get") + "/RECOVERYXLOG"])
        #expect(get.exitCode == 126, "\(get.stderr)")
        #expect(get.stderr.contains(name) && get.stderr.contains("holds gzip data"), "\(get.stderr)")
    }
}
