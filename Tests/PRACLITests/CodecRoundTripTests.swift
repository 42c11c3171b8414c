import Foundation
import PRACore
import PRATestSupport
import Testing

/// `BASE_BACKUP_COMPRESSION` and `WAL_COMPRESSION` end to end on a real archiving cluster, for
/// every codec: what pra writes, what the stock tools read, and recovery through it.
@Suite("base backups and WAL in gzip, zstd and lz4 on real PostgreSQL", .serialized, .requires(.postgresServer))
struct CodecRoundTripTests {
    @Test("base backup and WAL in one codec: named and recorded, read by the stock tool, verified, wal get gives the pushed bytes, a push in another codec of the same content is already archived, PITR to a point brings back exactly the rows before it, and a damaged copy is replaced by a push in another codec under that codec's name",
          arguments: CompressionCodec.allCases)
    func roundTrip(codec: CompressionCodec) throws {
        let server = try ArchivingCluster(label: "codec-\(codec.rawValue)")
        try server.archiveWAL(in: codec)
        // Two jobs: gzip's blocks, zstd's workers and lz4's frames are written in parallel.
        let base = try server.pra(["backup", "--base", "--json"], extra: [Setting.baseBackupCompression.name: codec.rawValue, Setting.praJobs.name: "2"])
        #expect(base.exitCode == 0, "\(base.stdout) \(base.stderr)")
        let entry = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete)
        if codec == .lz4 {
            // The parallel lz4 writer's start marker (an lz4 skippable frame) opens the archive.
            let opening = try #require(FileHandle(forReadingAtPath: entry.archivePath)).readData(ofLength: 16)
            #expect(Array(opening) == [0x5A, 0x2A, 0x4D, 0x18, 8, 0, 0, 0] + Array("pra-lz4s".utf8))
        }
        let manifest = try #require(entry.manifest)
        #expect(entry.archivePath.hasSuffix(".tar" + codec.fileExtension), "\(entry.archivePath)")
        #expect(entry.name.codec == codec)
        #expect(manifest.compression == codec && manifest.codec == codec)
        #expect(manifest.compressionLevel == codec.defaultLevel)
        // The stock tool reads the archive pra wrote: the tar inside holds the data directory.
        let listing = try server.shell("\(codec.stockDecompressCommand) \"$0\" | tar -t", [entry.archivePath]).split(separator: "\n")
        #expect(listing.contains("backup_manifest") && listing.contains("PG_VERSION"), "\(listing.prefix(5))")

        let mark = try server.mark(before: "before mark", after: "after mark")
        let name = try server.switchAndWait()
        let file = try #require(try server.archive.find(WALFileName(name)!))
        #expect(file.codec == codec && file.path.hasSuffix("-\(file.sha256)\(codec.fileExtension)"), "\(file.path)")
        #expect(try server.shell("\(codec.stockDecompressCommand) \"$0\" | sha256sum", [file.path]).hasPrefix(file.sha256))

        // wal get: the bytes pushed, whatever the codec.
        let work = TestEnvironment.temporaryDirectory("codec-get-\(codec.rawValue)")
        let get = try server.pra(["wal", "get", name, work + "/" + name])
        #expect(get.exitCode == 0, "\(get.stderr)")
        #expect(try FileDigest(path: work + "/" + name) == FileDigest(size: 16 << 20, sha256: file.sha256))
        // Pushed again in another codec (WAL_COMPRESSION changed): the same content is already archived, nothing written.
        let other = CompressionCodec.allCases.first { $0 != codec }!
        let again = try server.pra(["wal", "push", work + "/" + name, "--json"], extra: [Setting.walCompression.name: other.rawValue])
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\"alreadyArchived\" : true"), "\(again.stdout)")
        #expect(server.archive.files().filter { $0.name.text == name }.map(\.codec) == [codec])
        let verify = try server.pra(["verify", "--all"])
        #expect(verify.exitCode == 0, "\(verify.stdout) \(verify.stderr)")

        let target = server.targetDirectory("codec-pitr-\(codec.rawValue)")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--target-time", ArchivingCluster.iso(mark)])
        #expect(restore.exitCode == 0, "\(restore.stdout) \(restore.stderr)")
        let recovered = try server.recovered(target)
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'before mark'") == "7")
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'after mark'") == "0")

        // Last (the push runs as the test's user, whose file the recovering server may not read):
        // the archived copy damaged: a push in the other codec replaces it under its own name; wal get reads that.
        try CodecCorruptionTests.flipByte(file.path)
        let repair = try server.pra(["wal", "push", work + "/" + name, "--json"], extra: [Setting.walCompression.name: other.rawValue])
        #expect(repair.exitCode == 0, "\(repair.stderr)")
        #expect(repair.stdout.contains("\"replacedDamaged\""), "\(repair.stdout)")
        #expect(server.archive.files().filter { $0.name.text == name }.map(\.codec) == [other])
        #expect(try server.pra(["wal", "get", name, work + "/again"]).exitCode == 0)
        #expect(try FileDigest(path: work + "/again") == FileDigest(size: 16 << 20, sha256: file.sha256))
    }

    @Test("a WAL archive that changed codec twice (gzip, then zstd, then lz4 segments) verifies and recovers through all of them")
    func mixedCodecArchive() throws {
        let server = try ArchivingCluster(label: "codec-mixed")
        try server.archiveWAL(in: .gzip)
        let base = try server.pra(["backup", "--base"])
        #expect(base.exitCode == 0, "\(base.stdout) \(base.stderr)")
        var names: [String] = []
        for codec in CompressionCodec.allCases {
            try server.archiveWAL(in: codec)
            try server.sql("INSERT INTO pitr_marker (note) SELECT 'in \(codec.rawValue)' FROM generate_series(1, 5)")
            names.append(try server.switchAndWait())
        }
        let mark = try server.mark(before: "last", after: "too late")
        try server.switchAndWait()
        let codecs = try names.map { try #require(try server.archive.find(WALFileName($0)!)).codec }
        #expect(codecs == CompressionCodec.allCases)
        #expect(Set(server.archive.files().map(\.codec)) == Set(CompressionCodec.allCases))

        let verify = try server.pra(["verify", "--wal"])
        #expect(verify.exitCode == 0, "\(verify.stdout) \(verify.stderr)")
        let target = server.targetDirectory("codec-mixed-pitr")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--target-time", ArchivingCluster.iso(mark)])
        #expect(restore.exitCode == 0, "\(restore.stdout) \(restore.stderr)")
        let recovered = try server.recovered(target)
        for codec in CompressionCodec.allCases {
            #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'in \(codec.rawValue)'") == "5")
        }
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'last'") == "7")
        #expect(try recovered.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'too late'") == "0")
    }

    @Test("standby create from a zstd base backup, replaying lz4 WAL: the rows before and after the base backup arrive, and a new write on the primary follows")
    func standbyFromZstd() throws {
        let server = try ArchivingCluster(label: "codec-standby")
        try server.archiveWAL(in: .lz4)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'before base' FROM generate_series(1, 3)")
        let base = try server.pra(["backup", "--base"], extra: [Setting.baseBackupCompression.name: "zstd"])
        #expect(base.exitCode == 0, "\(base.stdout) \(base.stderr)")
        #expect(try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete).name.codec == .zstd)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'after base' FROM generate_series(1, 5)")
        try server.switchAndWait()

        let target = server.targetDirectory("codec-standby-target")
        defer { server.stopRecovered(target) }
        let create = try server.pra(["standby", "create", "--target-dir", target])
        #expect(create.exitCode == 0, "\(create.stdout) \(create.stderr)")
        let record = try StandbyRecord.load(from: target)
        try StandbyTests.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'after base'", "5", on: record, server)
        let standby = try StandbyTests.connect(record, server)
        #expect(try standby.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'before base'") == "3")
        #expect(try standby.scalar("SELECT pg_is_in_recovery()") == "t")
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('live')")
        try StandbyTests.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'live'", "1", on: record, server, seconds: 30)
        #expect(server.archive.files().filter { $0.name.kind == .segment }.contains { $0.codec == .lz4 })
    }
}
