import Foundation
import PRACore
import PRATestSupport
import Testing

/// `BACKUP_COMPRESSION`: logical dumps (`pra backup --full`) in gzip, zstd and lz4 on the real
/// server, through the binary: what is written, what the stock tools read, verify, the parallel
/// and the one-connection restore, and the refusals.
@Suite("logical dumps in gzip, zstd and lz4 on real PostgreSQL", .serialized, .requires(.postgresServer))
struct LogicalDumpCodecTests {
    static func rows(_ database: String) throws -> [String] {
        try ["users", "payments", "audit_log"].map { try TestEnvironment.psql("SELECT count(*) FROM \($0)", database: database) }
    }

    @Test("a dump in one codec: named .sql<ext> and recorded in the manifest, read by the stock tool, verified here and off-site, restored in parallel and on one connection with every row",
          arguments: CompressionCodec.allCases)
    func roundTrip(codec: CompressionCodec) throws {
        let database = try TestEnvironment.fixtureDatabase("dump\(codec.rawValue)", scale: 0.02)
        let directory = TestEnvironment.temporaryDirectory("dump-\(codec.rawValue)")
        // An off-site copy in a directory: sent, read back, and verified there too.
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: [
            Setting.backupCompression.name: codec.rawValue, Setting.praJobs.name: "2", Setting.remoteTarget.name: directory + "-offsite",
        ])
        let backup = try PraBinary.run(["backup", "--full", "-q"], environment: environment)
        #expect(backup.exitCode == 0, "\(backup.stderr)")
        let entry = try #require(BackupCatalogue(directory: directory).newestComplete)
        #expect(entry.archivePath.hasSuffix(".sql" + codec.fileExtension), "\(entry.archivePath)")
        #expect(entry.name.codec == codec)
        let manifest = try BackupManifest.load(path: entry.manifestPath)
        #expect(manifest.codec == codec && manifest.compressionLevel == (codec == .gzip ? 6 : codec.defaultLevel))
        // The plan's fallback: the stock tool gives back pg_dump's plain SQL, trailer included.
        let tail = try TestEnvironment.shell("\(codec.stockDecompressCommand) \"$0\" | tail -c 200", [entry.archivePath])
        #expect(tail.exitCode == 0 && tail.stdoutText.contains(ArchiveVerifier.dumpTrailer), "\(tail.stdoutText) \(tail.standardError)")

        let verify = try PraBinary.run(["verify", "--all"], environment: environment)
        #expect(verify.exitCode == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory + "-offsite/" + entry.name.fileName))
        let remote = try PraBinary.run(["verify", "--remote"], environment: environment)
        #expect(remote.exitCode == 0, "\(remote.stdout) \(remote.stderr)")
        #expect(remote.stdout.contains(entry.name.fileName), "\(remote.stdout)")
        let expected = try Self.rows(database)
        for jobs in ["2", "1"] {
            let target = database + "_r" + jobs
            var restoring = environment
            restoring[Setting.praJobs.name] = jobs
            let restore = try PraBinary.run(["restore", "--latest", "--target-db", target, "--json"], environment: restoring)
            #expect(restore.exitCode == 0, "\(restore.stderr)")
            #expect(restore.stdout.contains(jobs == "2" ? "2 connections in parallel" : "one connection (PRA_JOBS=1)"), "\(restore.stdout)")
            #expect(try Self.rows(target) == expected)
        }
    }

    @Test("a dump whose name and manifest disagree, or whose bytes are another codec's, is refused naming the file; a cut zstd dump is truncated and restores nothing")
    func refusals() throws {
        let database = try TestEnvironment.fixtureDatabase("dumpbad", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("dump-bad")
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: [Setting.backupCompression.name: "zstd"])
        #expect(try PraBinary.run(["backup", "--full", "-q"], environment: environment).exitCode == 0)
        let entry = try #require(BackupCatalogue(directory: directory).newestComplete)

        // Renamed to .sql.lz4 with its manifest: the manifest says zstd, the name lz4.
        let renamed = entry.archivePath.replacingOccurrences(of: ".sql.zst", with: ".sql.lz4")
        try FileManager.default.copyItem(atPath: entry.archivePath, toPath: renamed)
        try FileManager.default.copyItem(atPath: entry.manifestPath, toPath: renamed + BackupArchiveName.manifestSuffix)
        let mismatch = try PraBinary.run(["verify", (renamed as NSString).lastPathComponent], environment: environment)
        #expect(mismatch.exitCode == 1)
        #expect(mismatch.stderr.contains("the manifest records zstd but the file name \((renamed as NSString).lastPathComponent) says lz4"), "\(mismatch.stderr)")
        try FileManager.default.removeItem(atPath: renamed)
        try FileManager.default.removeItem(atPath: renamed + BackupArchiveName.manifestSuffix)

        // A gzip file under the .sql.zst name, without a manifest: refused as such, by name.
        let foreign = directory + "/other_backup_full_20260101_000000.sql.zst"
        #expect(try TestEnvironment.shell("printf 'not a dump' | gzip > \"$0\"", [foreign]).exitCode == 0)
        let wrong = try PraBinary.run(["verify", foreign], environment: environment)
        #expect(wrong.exitCode == 1)
        #expect(wrong.stderr.contains("other_backup_full_20260101_000000.sql.zst is named as zstd (.zst) but holds gzip data"), "\(wrong.stderr)")
        try FileManager.default.removeItem(atPath: foreign)

        // Cut short: truncated, and the restore refuses it without creating the target.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: entry.archivePath)[.size] as? NSNumber).intValue
        let cut = directory + "/cut.sql.zst"
        try FileManager.default.copyItem(atPath: entry.archivePath, toPath: cut)
        try FileHandle(forWritingAtPath: cut)!.truncate(atOffset: UInt64(size / 2))
        let truncated = try PraBinary.run(["restore", "--file", cut, "--target-db", database + "_cut"], environment: environment)
        #expect(truncated.exitCode == 1)
        #expect(truncated.stderr.contains("zstd stream truncated"), "\(truncated.stderr)")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM pg_database WHERE datname = '\(database)_cut'", database: "postgres") == "0")
    }
}
