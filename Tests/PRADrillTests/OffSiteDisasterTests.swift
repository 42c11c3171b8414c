import Foundation
@testable import PRACore
@testable import PRAHarness
import PRATestSupport
import Testing

@testable import PRADrill

/// The site-loss disaster and the off-site bit-rot fault, on real parts: a scratch cluster, a
/// directory target and the drill's SeaweedFS.
@Suite("off-site drills: lose-site and offsite-bit-rot", .serialized)
struct OffSiteDisasterTests {
    /// A complete fake base backup on `store` taken `daysAgo` (archive, PostgreSQL's manifest, pra manifest), copied with pra's own copy.
    static func copyFakeBaseBackup(to operation: RemoteCopyOperation, daysAgo: Double) throws -> (name: String, sha256: String) {
        let directory = TestEnvironment.temporaryDirectory("bitrot-local")
        let stamp = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - daysAgo * 86400).rounded(.down))
        let name = BackupArchiveName(prefix: "shop", timestamp: stamp, kind: .base).fileName
        let archive = directory + "/" + name
        var generator = SystemRandomNumberGenerator()
        try Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: archive))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: archive + BaseBackupManifest.postgresManifestSuffix))
        let digest = try FileDigest(path: archive)
        let manifest = BaseBackupManifest(
            database: "shop", systemIdentifier: "7000000000000000001", serverVersion: "15.8", pgBasebackupVersion: "15", startedAt: stamp, finishedAt: stamp,
            archive: name, compressedBytes: digest.size, uncompressedBytes: digest.size, sha256: digest.sha256, compressionLevel: 6, timeline: 1,
            startLSN: LogSequenceNumber("0/2000028")!, endLSN: LogSequenceNumber("0/2000100")!, startSegment: "000000010000000000000002", endSegment: "000000010000000000000002",
            postgresManifest: name + BaseBackupManifest.postgresManifestSuffix, postgresManifestSHA256: try FileDigest(path: archive + BaseBackupManifest.postgresManifestSuffix).sha256, fileCount: 1)
        try manifest.encoded().write(to: URL(fileURLWithPath: archive + BackupArchiveName.manifestSuffix))
        _ = try operation.copyBase(archivePath: archive)
        return (name, digest.sha256)
    }

    /// Two off-site base backups; the fault changes the newest one only, and its bytes no longer match its manifest.
    static func exerciseBitRot(_ operation: RemoteCopyOperation) throws {
        let older = try copyFakeBaseBackup(to: operation, daysAgo: 2)
        let newer = try copyFakeBaseBackup(to: operation, daysAgo: 1)
        let summary = try OffSiteBitRotFault.rot(operation.store, bytes: 32, scratch: TestEnvironment.temporaryDirectory("bitrot-scratch") + "/work")
        #expect(summary.contains("inverted 32 bytes") && summary.contains(newer.name), "\(summary)")
        let check = TestEnvironment.temporaryDirectory("bitrot-check")
        // The store hands both back without complaint (its own checksum was rewritten): only pra's manifest tells.
        try operation.store.download(newer.name, to: check + "/newer")
        try operation.store.download(older.name, to: check + "/older")
        #expect(try FileDigest(path: check + "/newer").sha256 != newer.sha256)
        #expect(try FileDigest(path: check + "/older").sha256 == older.sha256)
        var problems: [String] = []
        #expect(try operation.completeBaseBackups(problems: &problems).map(\.name.fileName) == [newer.name, older.name])
    }

    @Test("offsite-bit-rot on a directory target: the newest off-site base backup archive changes, the older one does not")
    func bitRotDirectory() throws {
        let target = TestEnvironment.temporaryDirectory("bitrot-dir") + "/offsite"
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["REMOTE_TARGET": target])
        try Self.exerciseBitRot(try #require(try RemoteCopyOperation.forBaseBackups(configuration: configuration)))
    }

    @Test("offsite-bit-rot on an S3 bucket: the object is rewritten (the store's checksum with it), the older one untouched", .requires(.seaweedfs))
    func bitRotBucket() throws {
        let server = try LoopbackS3Server.start()
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: server.environment(bucket: try server.makeBucket("bitrot")))
        try Self.exerciseBitRot(try #require(try RemoteCopyOperation.forBaseBackups(configuration: configuration)))
    }

    @Test("offsite-bit-rot is declared: parameters read and checked, listed in the registry")
    func bitRotDeclared() throws {
        #expect(FaultRegistry.kind(named: "offsite-bit-rot") != nil)
        let scenario = try DrillHarness.parse("""
            name: t-bitrot
            archiving: {archive_timeout: 1s}
            steps:
              - backup: {kind: base}
              - fault: {kind: offsite-bit-rot, bytes: 16}
            """)
        #expect(scenario.steps.count == 2)
        #expect(throws: ScenarioError.self) {
            try DrillHarness.parse("""
                name: t-bitrot-bad
                archiving: {archive_timeout: 1s}
                steps:
                  - backup: {kind: base}
                  - fault: {kind: offsite-bit-rot, bytes: 0}
                """)
        }
    }

    @Test("lose-site: the server crashes, its data directory, the local WAL archive, base backups and dumps are gone; an empty server is provisioned", .requires(.postgresServer))
    func loseSite() throws {
        let cluster = try ScratchCluster()
        defer { cluster.crash() }
        let work = TestEnvironment.temporaryDirectory("losesite")
        let context = ScenarioContext(cluster: cluster, database: "postgres", workDirectory: work, praExecutable: PraBinary.path, scenarioEnvironment: [:], echo: nil)
        let backups = context.backupDirectory
        try FileManager.default.createDirectory(atPath: backups + "/wal/0000000100000000", withIntermediateDirectories: true)
        for file in ["wal/0000000100000000/000000010000000000000003-ab.gz", "shop_backup_base_20261206_120000.tar.gz", "shop_backup_base_20261206_120000.tar.gz.manifest.json",
                     "shop_backup_full_20261206_120000.sql.gz", "shop_backup_full_20261206_120000.sql.gz.manifest.json"] {
            FileManager.default.createFile(atPath: backups + "/" + file, contents: Data("x".utf8))
        }
        try TestEnvironment.psql("CREATE TABLE lost_with_the_site (i int)", database: "postgres", cluster: cluster)
        let outcome = try DisasterInjector(kind: .loseSite).inject(context)
        #expect(outcome.summary.contains("local backup directory"), "\(outcome.summary)")
        #expect(outcome.provisionSeconds != nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: backups).isEmpty)
        // A new, empty server: the table is gone with the old data directory.
        #expect(try TestEnvironment.psql("SELECT to_regclass('lost_with_the_site') IS NULL", database: "postgres", cluster: cluster) == "t")
    }
}
