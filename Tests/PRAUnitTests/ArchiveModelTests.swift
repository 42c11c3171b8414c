import Foundation
import Testing

@testable import PRACore

@Suite("archive names, manifests, retention")
struct ArchiveModelTests {
    @Test("archive names follow the contract and parse back")
    func names() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18 11:06:40 UTC
        let name = BackupArchiveName(prefix: "akig", timestamp: date)
        #expect(name.fileName == "akig_backup_full_20261118_110640.sql.gz")
        #expect(name.manifestFileName == "akig_backup_full_20261118_110640.sql.gz.manifest.json")
        let parsed = try #require(BackupArchiveName(fileName: name.fileName))
        #expect(parsed == name)
        #expect(BackupArchiveName(fileName: "my_app_backup_full_20261118_110640.sql.gz")?.prefix == "my_app")
        #expect(BackupArchiveName(fileName: "akig_backup_full_2026111_082640.sql.gz") == nil)
        #expect(BackupArchiveName(fileName: "akig_backup_full_20261118_110640.sql") == nil)
        #expect(BackupArchiveName(fileName: "notes.txt") == nil)
    }

    @Test("the dump scanner reports each COPY block with its rows, wherever the pieces are cut")
    func copyBlocks() throws {
        let longColumns = (1...400).map { "\"column \($0)\"" }.joined(separator: ", ")
        let dump = [
            "SET standard_conforming_strings = on;\n",
            "CREATE TABLE t (v text); -- COPY public.fake (v) FROM stdin;\n",
            "COPY public.t (v) FROM stdin;\n", "a\\nb\n", "\\.x\n", "\\N\n", "tab\\there\r\n", "\\.\n",
            "COPY \"My \"\"odd\"\" schema\".\"t.x\" (id) FROM stdin;\n", "\\.\r\n",
            "COPY public.wide (\(longColumns)) FROM stdin;\n", "\\N\t1\n", "\\.\n",
            "SELECT 1;\n",
        ].joined()
        let bytes = Array(dump.utf8)
        for pieceSize in [1, 2, 3, 7, 64, bytes.count] {
            var scanner = DumpScanner()
            var blocks: [DumpScanner.CopyBlock] = []
            var start = 0
            while start < bytes.count {
                let end = min(start + pieceSize, bytes.count)
                try bytes[start..<end].withUnsafeBytes { try scanner.scan($0) { blocks.append($0) } }
                start = end
            }
            #expect(blocks.map(\.rows) == [4, 0, 1], "pieces of \(pieceSize)")
            #expect(blocks.map { $0.target?.parts ?? [] } == [["public", "t"], ["My \"odd\" schema", "t.x"], ["public", "wide"]], "pieces of \(pieceSize)")
            #expect(blocks.first?.target?.written == "public.t")
            #expect(scanner.atStatementBoundary)
        }
    }

    @Test("manifest round trip and unreadable manifests")
    func manifest() throws {
        let manifest = BackupManifest(database: "akig", serverVersion: "15.18", pgDumpVersion: "pg_dump (PostgreSQL) 15.18", startedAt: Date(timeIntervalSince1970: 1_795_000_000), finishedAt: Date(timeIntervalSince1970: 1_795_000_042), archive: "a.sql.gz", compressedBytes: 10, uncompressedBytes: 30, sha256: String(repeating: "ab", count: 32), compressionLevel: 6, snapshot: "00000003-1", tables: [.init(schema: "public", name: "users", rows: 12)])
        let directory = TestSupportPaths.temporary()
        let path = directory + "/m.json"
        try manifest.encoded().write(to: URL(fileURLWithPath: path))
        #expect(try BackupManifest.load(path: path) == manifest)
        #expect(manifest.totalRows == 12)

        try Data("{\"formatVersion\": 1}".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ArchiveError.self) { try BackupManifest.load(path: path) }
        #expect(error?.description.contains("missing key") == true)
        #expect(error?.description.contains(path) == true)
    }

    /// Backups `ages` days old; which ages are deleted.
    static let retentionCases: [(ages: [Double], days: Int, keep: Int, deleted: [Double])] = [
        ([0, 1, 2], 30, 7, []),  // nothing old
        ([0, 10, 40, 50], 30, 1, [40, 50]),  // old ones go
        ([40, 50, 60], 30, 2, [60]),  // all old, but keep the 2 newest
        ([40, 50, 60], 30, 7, []),  // min-keep protects everything
        ([0.5, 1.5, 2.5, 3.5], 1, 2, [2.5, 3.5]),
        ([], 30, 7, []),
        ([31, 29], 30, 0, [31]),
    ]

    @Test("retention decisions", arguments: retentionCases)
    func retention(ages: [Double], days: Int, keep: Int, deleted: [Double]) {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let dates = ages.map { now.addingTimeInterval(-$0 * 86400) }
        let expired = RetentionPolicy(retentionDays: days, minimumKept: keep).expired(dates, now: now)
        let expiredAges = expired.map { now.timeIntervalSince($0) / 86400 }.sorted()
        #expect(expiredAges == deleted.sorted())
    }
}
