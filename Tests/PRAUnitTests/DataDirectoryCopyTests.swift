import CPosix
import Crypto
import Foundation
import Testing

@testable import PRACore

/// A base backup read from the data directory itself: the walk (what pg_basebackup leaves
/// out), the page-LSN rule, the tar it writes and its range map, PostgreSQL's manifest format
/// and the choice between reading and streaming. Server-free: a data directory is faked with
/// files whose pages carry chosen LSNs.
@Suite("base backups read from the data directory: walk, page LSNs, tar, manifest, choice")
struct DataDirectoryCopyTests {
    static let pageSize = 8192
    static let rangeSize: UInt64 = 4 * 8192

    /// `count` pages, each stamped with `lsn` (or `lsns[i]`) and filled with `fill`.
    static func pages(_ count: Int, lsn: UInt64, fill: UInt8 = 7) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<count {
            var page = [UInt8](repeating: fill, count: pageSize)
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: lsn >> 32).littleEndian) { page.replaceSubrange(0..<4, with: $0) }
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: lsn).littleEndian) { page.replaceSubrange(4..<8, with: $0) }
            bytes += page
        }
        return bytes
    }

    static func makeDirectory() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pra-datadir-\(UUID().uuidString)").path
        for directory in ["base/5", "global", "pg_wal/archive_status", "pg_stat_tmp", "pg_replslot/slot", "pg_xact", "base/5/pgsql_tmp"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        return root
    }

    static func write(_ root: String, _ path: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + path))
    }

    /// Runs a copy and returns it with the tar it wrote.
    static func copy(_ root: String, reference: RangeMap? = nil, since: UInt64? = nil) throws -> (DataDirectoryCopy, [UInt8]) {
        var copy = DataDirectoryCopy(root: root, reference: reference, referenceStart: since.map(LogSequenceNumber.init), pageSize: pageSize, rangeSize: rangeSize)
        var tar: [UInt8] = []
        try copy.copyTree(emit: { tar += $0 }, progress: { _ in })
        try copy.finish(emit: { tar += $0 })
        return (copy, tar)
    }

    /// Entry names of a tar, by the scanner the restore uses (which must accept every entry).
    static func names(_ tar: [UInt8]) -> [String] {
        var names: [String] = []
        var offset = 0
        while offset + 512 <= tar.count {
            let block = tar[offset..<(offset + 512)]
            if block.allSatisfy({ $0 == 0 }) { break }
            let size = TarStreamScanner.size(block[(offset + 124)..<(offset + 136)]) ?? 0
            names.append(TarStreamScanner.text(block[offset..<(offset + 100)]))
            offset += 512 + Int((size + 511) / 512 * 512)
        }
        return names
    }

    @Test("page LSNs: a range is older than the reference only when every page is stamped before its start; a later page or a partial one means changed; a page with no LSN (written without WAL, or zeros) leaves it to the content")
    func pageLSNs() {
        let since = LogSequenceNumber(0x1_0000_0200)
        func verdict(_ bytes: [UInt8], _ at: LogSequenceNumber = since) -> PageLSNScan.Verdict {
            bytes.withUnsafeBytes { PageLSNScan.classify($0, pageSize: Self.pageSize, since: at) }
        }
        let old = Self.pages(4, lsn: 0x1_0000_0100)
        #expect(verdict(old) == .older)
        // The start itself counts as changed; so does a later page in the middle of the range.
        #expect(verdict(old, LogSequenceNumber(0x1_0000_0100)) == .changed)
        var mixed = old
        mixed.replaceSubrange((2 * Self.pageSize)..<(3 * Self.pageSize), with: Self.pages(1, lsn: 0x2_0000_0000))
        #expect(verdict(mixed) == .changed)
        var unstamped = old
        unstamped.replaceSubrange(Self.pageSize..<(2 * Self.pageSize), with: Self.pages(1, lsn: 0, fill: 0))
        #expect(verdict(unstamped) == .unstamped)
        unstamped.replaceSubrange((3 * Self.pageSize)..<(4 * Self.pageSize), with: Self.pages(1, lsn: 0x2_0000_0000))
        #expect(verdict(unstamped) == .changed, "a later page wins over an unstamped one")
        #expect(verdict(Self.pages(2, lsn: 0)) == .unstamped)
        #expect(verdict(Array(old.prefix(Self.pageSize + 100))) == .changed)
        for path in ["base/5/16384", "base/5/16384.12", "global/1262"] { #expect(PageLSNScan.isMainFork(path), "\(path)") }
        for path in ["base/5/16384_vm", "base/5/16384_fsm", "base/5/16384_init", "base/5/16384_fsm.1", "global/pg_control", "base/5/PG_VERSION", "pg_xact/0000", "base/x/16384", "base/5/16384.", "base/5/pg_filenode.map"] {
            #expect(!PageLSNScan.isMainFork(path), "\(path)")
        }
    }

    @Test("the walk leaves out what pg_basebackup leaves out (pg_wal and runtime directories' contents, postmaster.pid, pgsql_tmp, pg_internal.init, temporary and unlogged relations but their init fork) and sends pg_control last")
    func walkExclusions() throws {
        let root = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for path in ["PG_VERSION", "postmaster.pid", "postmaster.opts", "backup_label", "pg_wal/000000010000000000000001", "pg_stat_tmp/global.stat",
                     "pg_replslot/slot/state", "global/pg_control", "global/1262", "pg_xact/0000", "base/5/16384", "base/5/16384_vm",
                     "base/5/20000", "base/5/20000.1", "base/5/20000_fsm", "base/5/20000_init", "base/5/t3_30000", "base/5/pg_internal.init",
                     "base/5/pgsql_tmp/pgsql_tmp1.0"] {
            try Self.write(root, path, [1, 2, 3])
        }
        var seen: [String] = []
        try DataDirectoryWalk(root: root).walk { seen.append($0.path + ($0.kind == .directory ? "/" : "")) }
        #expect(seen.last == "global/pg_control")
        #expect(seen.filter { $0 == "global/pg_control" }.count == 1)
        for kept in ["PG_VERSION", "global/1262", "pg_xact/0000", "base/5/16384", "base/5/16384_vm", "base/5/20000_init", "pg_wal/", "pg_wal/archive_status/", "pg_stat_tmp/", "pg_replslot/", "base/5/"] {
            #expect(seen.contains(kept), "\(kept) missing from \(seen)")
        }
        for left in ["postmaster.pid", "postmaster.opts", "backup_label", "pg_wal/000000010000000000000001", "pg_stat_tmp/global.stat", "pg_replslot/slot/",
                     "pg_replslot/slot/state", "base/5/20000", "base/5/20000.1", "base/5/20000_fsm", "base/5/t3_30000", "base/5/pg_internal.init", "base/5/pgsql_tmp/"] {
            #expect(!seen.contains(left), "\(left) was sent")
        }
        let link = root + "/base/5/elsewhere"
        #expect(symlink("/etc", link) == 0)
        #expect(throws: DataDirectoryReadError.self) { try DataDirectoryWalk(root: root).walk { _ in } }
    }

    @Test("an incremental read from the directory stores a main fork's range only when a page's LSN is at or after the reference's start, any other file's when its hash differs; new and grown files are stored; the map describes the assembled state")
    func incrementalByPageLSN() throws {
        let root = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let start: UInt64 = 0x1_0000_0000
        try Self.write(root, "global/pg_control", [UInt8](repeating: 9, count: 8192))
        try Self.write(root, "base/5/16384", Self.pages(12, lsn: start - 100))          // 3 ranges
        try Self.write(root, "base/5/16384_vm", Self.pages(1, lsn: start - 100))
        try Self.write(root, "base/5/16385", Self.pages(4, lsn: start - 100))
        try Self.write(root, "base/5/16386", Self.pages(4, lsn: 0) + Self.pages(4, lsn: 0))   // loaded without WAL: no LSNs
        try Self.write(root, "pg_xact/0000", [UInt8](repeating: 1, count: 100))
        let (full, fullTar) = try Self.copy(root)
        #expect(full.storedRanges == 3 + 1 + 1 + 2 + 1 + 1 && full.referencedRanges == 0)
        #expect(Self.names(fullTar).contains("base/5/16384"))

        // Range 1 of 16384: a page written after the reference started. Range 2: a byte changed
        // with the old LSN (a hint bit: left to the reference by design). The visibility map:
        // a bit cleared without its LSN moving (compared by content, so stored). 16385 grows by
        // a range; pg_xact unchanged; a new relation appears.
        var relation = Self.pages(12, lsn: start - 100)
        relation.replaceSubrange((5 * Self.pageSize)..<(6 * Self.pageSize), with: Self.pages(1, lsn: start + 50))
        relation[9 * Self.pageSize + 100] = 0xEE
        try Self.write(root, "base/5/16384", relation)
        var visibility = Self.pages(1, lsn: start - 100)
        visibility[200] = 0
        try Self.write(root, "base/5/16384_vm", visibility)
        try Self.write(root, "base/5/16385", Self.pages(4, lsn: start - 100) + Self.pages(4, lsn: start + 10))
        try Self.write(root, "base/5/16390", Self.pages(1, lsn: start + 70))
        // 16386: range 0 as it was (no LSNs, same bytes: left out after hashing); range 1 cut and
        // re-extended with zeros (no LSN either, but other bytes: stored).
        try Self.write(root, "base/5/16386", Self.pages(4, lsn: 0) + Self.pages(4, lsn: 0, fill: 0))
        let (incremental, tar) = try Self.copy(root, reference: full.map, since: start)
        let names = Self.names(tar)
        #expect(names.contains("pra-range/1/base/5/16384"))
        #expect(!names.contains("pra-range/0/base/5/16384") && !names.contains("pra-range/2/base/5/16384"))
        #expect(names.contains("pra-range/0/base/5/16384_vm"))
        #expect(names.contains("pra-range/1/base/5/16385") && !names.contains("pra-range/0/base/5/16385"))
        #expect(names.contains("base/5/16390"), "a new file is stored whole")
        #expect(!names.contains { $0.hasSuffix("pg_xact/0000") })
        #expect(names.contains("pra-range/1/base/5/16386") && !names.contains("pra-range/0/base/5/16386"))
        #expect(incremental.rangesSkippedByLSN == 3, "16384 ranges 0 and 2, 16385 range 0")
        #expect(incremental.storedRanges == 1 + 1 + 1 + 1 + 1 && incremental.referencedRanges == 3 + 1 + 1 + 1)
        // Left out: the reference's hash (what a restore assembles); stored: the new bytes' hash.
        #expect(incremental.map.hash(of: "base/5/16384", range: 2) == full.map.hash(of: "base/5/16384", range: 2))
        #expect(incremental.map.hash(of: "base/5/16384", range: 1).map(Array.init) == Array(SHA256.hash(data: relation[(4 * Self.pageSize)..<(8 * Self.pageSize)])))
        #expect(incremental.map.files["base/5/16385"]?.size == UInt64(8 * Self.pageSize))
        // Every entry passes the restore's tar checks.
        var scanner = TarStreamScanner(keeping: "none")
        tar.withUnsafeBytes { scanner.scan($0) }
        #expect(scanner.problem == nil && scanner.forbiddenEntry == nil && scanner.reachedEnd)
    }

    @Test("the tar written from the directory lists with GNU tar, modes without group write, sizes and names as given")
    func tarWithStockTool() throws {
        let root = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.write(root, "global/pg_control", [UInt8](repeating: 9, count: 8192))
        try Self.write(root, "PG_VERSION", Array("15\n".utf8))
        chmod(root + "/PG_VERSION", 0o664)
        var copy = DataDirectoryCopy(root: root, reference: nil, referenceStart: nil, pageSize: Self.pageSize, rangeSize: Self.rangeSize)
        var tar: [UInt8] = []
        try copy.copyTree(emit: { tar += $0 }, progress: { _ in })
        try copy.add(path: "backup_label", content: Array("START WAL LOCATION: 0/2000028\n".utf8), modified: 1_700_000_000, emit: { tar += $0 })
        try copy.finish(emit: { tar += $0 })
        let path = root + ".tar"
        defer { unlink(path) }
        try Data(tar).write(to: URL(fileURLWithPath: path))
        let listing = try ExternalProcess(executable: "/usr/bin/tar", arguments: ["-tvf", path], timeout: 30).run()
        #expect(listing.succeeded, "\(listing.standardError)")
        let text = listing.stdoutText
        #expect(text.contains("-rw-r----- 0/0               3 ") && text.contains("PG_VERSION"), "\(text)")
        #expect(text.contains("drwxr-x--- 0/0               0 ") && text.contains("pg_wal/archive_status/"), "\(text)")
        #expect(text.contains("-rw------- 0/0              30 2023-11-14") && text.contains("backup_label"), "\(text)")
    }

    @Test("the PostgreSQL manifest: version 1, files with sizes, the WAL range, and a Manifest-Checksum over everything before its line")
    func postgresManifest() throws {
        var writer = PostgresBackupManifestWriter()
        writer.add(.init(path: "base/5/16384", size: 8192, modified: 0))
        writer.add(.init(path: "odd \"name\"\\", size: 3, modified: 1_700_000_000))
        // The CRC-32C check value, written as PostgreSQL writes it: the bytes in memory order.
        let check = Array("123456789".utf8).withUnsafeBytes { pra_crc32c(0xFFFF_FFFF, $0.baseAddress, $0.count) } ^ 0xFFFF_FFFF
        #expect(check == 0xE306_9283)
        let odd = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = odd.withUnsafeBytes { pra_crc32c(0xFFFF_FFFF, $0.baseAddress, $0.count) }
        let split = odd[3...].withUnsafeBytes { pra_crc32c(odd[..<3].withUnsafeBytes { pra_crc32c(0xFFFF_FFFF, $0.baseAddress, $0.count) }, $0.baseAddress, $0.count) }
        #expect(whole == split, "the running value carries over pieces of any length")
        writer.add(.init(path: "backup_label", size: 9, modified: 0, crc32c: check))
        let bytes = writer.encoded(timeline: 2, start: LogSequenceNumber(0x2000028), end: LogSequenceNumber(0x2000100))
        let text = String(decoding: bytes, as: UTF8.self)
        let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        let files = object?["Files"] as? [[String: Any]]
        #expect(files?.count == 3 && files?[1]["Path"] as? String == "odd \"name\"\\" && files?[0]["Size"] as? Int == 8192)
        #expect(files?[2]["Checksum-Algorithm"] as? String == "CRC32C" && files?[2]["Checksum"] as? String == "839206e3")
        #expect(files?[0]["Checksum-Algorithm"] == nil)
        #expect(files?[1]["Last-Modified"] as? String == "2023-11-14 22:13:20 GMT")
        let ranges = object?["WAL-Ranges"] as? [[String: Any]]
        #expect(ranges?.first?["Start-LSN"] as? String == "0/2000028" && ranges?.first?["End-LSN"] as? String == "0/2000100" && ranges?.first?["Timeline"] as? Int == 2)
        let cut = text.range(of: "\"Manifest-Checksum\"")!.lowerBound
        #expect(object?["Manifest-Checksum"] as? String == SHA256.hash(data: Array(text[..<cut].utf8)).hex)
        #expect(text.hasSuffix("}\n"))
        let range = try BaseBackupOperation.walRange(of: bytes)
        #expect(range.timeline == 2 && range.start == LogSequenceNumber(0x2000028))
    }

    @Test("reading or streaming: auto reads the directory only for an incremental when every condition holds, says why it streams otherwise; local refuses naming the condition; stream always streams")
    func readingChoice() {
        let good = DataDirectoryAccess.Probe(mode: .auto, incremental: true, majorVersion: 15, inRecovery: false, dataDirectory: "/var/lib/pg", systemIdentifierOnDisk: "42",
                                             serverSystemIdentifier: "42", tablespaces: 0, mayStartBackup: true, pageSize: 8192)
        #expect(DataDirectoryAccess.decide(good) == .local(root: "/var/lib/pg", pageSize: 8192))
        var full = good
        full.incremental = false
        #expect(DataDirectoryAccess.decide(full) == .stream(note: nil))
        full.mode = .local
        #expect(DataDirectoryAccess.decide(full) == .local(root: "/var/lib/pg", pageSize: 8192))
        var stream = good
        stream.mode = .stream
        #expect(DataDirectoryAccess.decide(stream) == .stream(note: nil))
        let cases: [(String, (inout DataDirectoryAccess.Probe) -> Void)] = [
            ("PostgreSQL 14", { $0.majorVersion = 14 }), ("standby", { $0.inRecovery = true }), ("data_directory", { $0.dataDirectory = nil }),
            ("not readable on this host", { $0.systemIdentifierOnDisk = nil }), ("another cluster", { $0.systemIdentifierOnDisk = "7" }),
            ("tablespace", { $0.tablespaces = 1 }), ("pg_backup_start", { $0.mayStartBackup = false }), ("block_size", { $0.pageSize = 100 }),
        ]
        for (words, change) in cases {
            var probe = good
            change(&probe)
            guard case .stream(let note?) = DataDirectoryAccess.decide(probe) else { Issue.record("\(words): not streamed with a note"); continue }
            #expect(note.contains(words), "\(note)")
            probe.mode = .local
            guard case .refused(let reason) = DataDirectoryAccess.decide(probe) else { Issue.record("\(words): local not refused"); continue }
            #expect(reason.contains("BASE_BACKUP_READ=local") && reason.contains(words), "\(reason)")
        }
    }
}
