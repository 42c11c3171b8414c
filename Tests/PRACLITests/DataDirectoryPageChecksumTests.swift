import Foundation
import PRACore
import PRAHarness
import PRATestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A base backup read from the data directory verifies data page checksums as the server does
/// for `pg_basebackup`: on a cluster initialised with `--data-checksums`, every page of a clean
/// cluster verifies (PostgreSQL's own values), and one flipped byte fails the backup.
@Suite("page checksums verified while reading the data directory, on real PostgreSQL", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not installed"))
struct DataDirectoryPageChecksumTests {
    @Test("with data_checksums on: a clean cluster's pages all verify; a byte flipped on disk fails the local full and the incremental naming the file and block (as pg_basebackup's stream fails), leaves no archive and keeps the earlier backups")
    func damagedPageFailsTheBackup() throws {
        let server = try ArchivingCluster(label: "pagesum", dataChecksums: true)
        try server.sql("CREATE TABLE t WITH (autovacuum_enabled = false) AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g")
        try server.sql("VACUUM (FREEZE) t")
        try server.sql("CHECKPOINT")
        let pages = Int(try server.sql("SELECT pg_relation_size('t') / current_setting('block_size')::int")) ?? 0
        #expect(pages > 100)

        let clean = try IncrementalBaseBackupTests.backup(server, incremental: false, extra: ["BASE_BACKUP_READ": "local"])
        #expect(clean.readFrom == .dataDirectory)
        let verified = try #require(clean.pageChecksumsVerified)
        #expect(verified > pages, "every page of the cluster verified against PostgreSQL's checksums: \(verified)")
        let streamed = try IncrementalBaseBackupTests.backup(server, incremental: false, extra: ["BASE_BACKUP_READ": "stream"])
        #expect(streamed.pageChecksumsVerified == nil, "pg_basebackup's server checks them; pra does not count them")
        let before = BaseBackupCatalogue(directory: server.backupDirectory).complete.map(\.name.fileName)

        // One byte in the middle of block 3 flipped on disk; the page is clean in shared buffers,
        // so the server never writes it back.
        let relation = try server.sql("SELECT pg_relation_filepath('t')")
        let path = server.cluster.dataDirectory + "/" + relation
        let descriptor = open(path, O_RDWR)
        #expect(descriptor >= 0)
        var byte: UInt8 = 0
        #expect(pread(descriptor, &byte, 1, 3 * 8192 + 4000) == 1)
        byte ^= 0x40
        #expect(pwrite(descriptor, &byte, 1, 3 * 8192 + 4000) == 1)
        close(descriptor)

        for (label, arguments, extra) in [("local full", ["backup", "--base"], ["BASE_BACKUP_READ": "local"]),
                                          ("incremental", ["backup", "--base", "--incremental-from", "newest"], [:])] {
            let failed = try server.pra(arguments, extra: extra)
            #expect(failed.exitCode == 1, "\(label): \(failed.stdout) \(failed.stderr)")
            #expect(failed.stderr.contains("data page checksum verification failed for 1 page(s): \(relation) block 3 (page says "), "\(label): \(failed.stderr)")
            #expect(failed.stderr.split(separator: "\n").count == 1, "\(label): one line: \(failed.stderr)")
        }
        let stream = try server.pra(["backup", "--base"], extra: ["BASE_BACKUP_READ": "stream"])
        #expect(stream.exitCode == 1 && stream.stderr.contains("checksum"), "the server fails pg_basebackup the same way: \(stream.stderr)")

        let after = try FileManager.default.contentsOfDirectory(atPath: server.backupDirectory).filter { $0.hasPrefix(".") && !$0.hasPrefix(".pra") || $0.contains("partial") }
        #expect(after.isEmpty, "nothing half-written: \(after)")
        #expect(BaseBackupCatalogue(directory: server.backupDirectory).complete.map(\.name.fileName) == before, "the earlier backups stay, and no new one")
    }
}
