import CPosix
import Foundation
import Testing

@testable import PRACore

/// Data page checksums as PostgreSQL computes them, and which pages a base backup read from
/// the data directory checks.
@Suite("data page checksums: PostgreSQL's algorithm, which files and pages are checked")
struct PageChecksumCheckTests {
    /// Six 8 KiB pages of a fixed pseudo-random content with an initialised header (LSN
    /// 0/01000000 + block, pd_lower 64, pd_upper 4096, pd_special 8192, layout version 4).
    static func pages() -> [UInt8] {
        var state: UInt32 = 12345
        var bytes: [UInt8] = []
        for block in 0..<6 {
            var page = (0..<8192).map { _ -> UInt8 in
                state = (state &* 1_103_515_245 &+ 12345) & 0x7FFF_FFFF
                return UInt8(state & 0xFF)
            }
            let header: [UInt32] = [0, 0x0100_0000 + UInt32(block)]
            for (index, word) in header.enumerated() { withUnsafeBytes(of: word.littleEndian) { page.replaceSubrange(index * 4..<(index * 4 + 4), with: $0) } }
            let halves: [UInt16] = [0xBEEF, 0, 64, 4096, 8192, 0x2004]
            for (index, half) in halves.enumerated() { withUnsafeBytes(of: half.littleEndian) { page.replaceSubrange(8 + index * 2..<(10 + index * 2), with: $0) } }
            page.replaceSubrange(20..<24, with: [0, 0, 0, 0])
            bytes += page
        }
        return bytes
    }

    /// What PostgreSQL 15's `pg_checksums --enable` wrote into these pages, as relation file
    /// `base/1/999998` (blocks 0-5) and `base/1/999998.1` (blocks 131072-131077).
    static let postgresChecksums: [UInt16] = [0xD175, 0x51C2, 0x250A, 0x138F, 0x9942, 0x2EA8]
    static let postgresChecksumsSegment1: [UInt16] = [0xD177, 0x51C0, 0x2508, 0x138D, 0x9940, 0x2EA6]

    @Test("the checksum of each page equals the one PostgreSQL wrote, for the first segment and the second; the stored checksum field is not part of the sum")
    func postgresValues() {
        var pages = Self.pages()
        pages.withUnsafeBytes { bytes in
            for block in 0..<6 {
                let page = bytes.baseAddress! + block * 8192
                #expect(pra_page_checksum(page, 8192, UInt32(block)) == Self.postgresChecksums[block], "block \(block)")
                #expect(pra_page_checksum(page, 8192, 131_072 + UInt32(block)) == Self.postgresChecksumsSegment1[block], "block \(131_072 + block)")
            }
        }
        pages[8] = 0x12
        pages[9] = 0x34
        #expect(pages.withUnsafeBytes { pra_page_checksum($0.baseAddress, 8192, 0) } == Self.postgresChecksums[0])
    }

    @Test("which files carry page checksums: every fork and segment of a relation in base/ and global/, nothing else")
    func checksummedFiles() {
        let cases: [(String, UInt32?)] = [
            ("base/16384/17708", 0), ("base/16384/17708.2", 2), ("base/16384/17708_fsm", 0), ("base/16384/17708_vm", 0),
            ("base/16384/17708_init", 0), ("global/1262", 0), ("global/1262_vm.1", 1),
            ("global/pg_control", nil), ("global/pg_filenode.map", nil), ("base/16384/PG_VERSION", nil), ("base/16384/pg_internal.init", nil),
            ("pg_xact/0000", nil), ("base/16384/17708.x", nil), ("base/16384/17708_foo", nil), ("base/x/17708", nil), ("base/16384/sub/17708", nil),
            ("PG_VERSION", nil), ("base/16384/t3_17708", nil),
        ]
        for (path, segment) in cases {
            #expect(RelationFileName(path: path)?.segment == segment, "\(path)")
        }
        #expect(PageLSNScan.isMainFork("base/16384/17708.2") && !PageLSNScan.isMainFork("base/16384/17708_vm"))
    }

    @Test("a range: stamped pages verified, a flipped byte fails naming the block, a new page and a page stamped at or after the backup's start are skipped, a partial page is left out")
    func scan() {
        var pages = Self.pages()
        for block in 0..<6 {
            let checksum = Self.postgresChecksumsSegment1[block]
            withUnsafeBytes(of: checksum.littleEndian) { pages.replaceSubrange(block * 8192 + 8..<(block * 8192 + 10), with: $0) }
        }
        let check = PageChecksumCheck(pageSize: 8192, pagesPerSegment: 131_072, backupStart: LogSequenceNumber(0x0100_0005))
        pages.withUnsafeBytes { bytes in
            let clean = check.scan(bytes, firstBlock: 131_072)
            #expect(clean.verified == 5 && clean.failing.isEmpty, "block 5 is stamped at the start: \(clean)")
            let wrongPlace = check.scan(bytes, firstBlock: 0)
            #expect(wrongPlace.failing == [0, 8192, 16384, 24576, 32768], "the block number is part of the checksum")
        }
        pages[2 * 8192 + 5000] ^= 0x01
        pages[3 * 8192 + 14] = 0
        pages[3 * 8192 + 15] = 0
        pages.withUnsafeBytes { bytes in
            let damaged = check.scan(UnsafeRawBufferPointer(rebasing: bytes[0..<(6 * 8192 - 100)]), firstBlock: 131_072)
            #expect(damaged.verified == 3 && damaged.failing == [2 * 8192], "block 2 flipped, block 3 new (pd_upper 0), block 5 partial: \(damaged)")
            #expect(check.verdict(UnsafeRawBufferPointer(rebasing: bytes[(2 * 8192)..<(3 * 8192)]), block: 131_074)
                    == .failed(stored: Self.postgresChecksumsSegment1[2], computed: pra_page_checksum(bytes.baseAddress! + 2 * 8192, 8192, 131_074)))
        }
        let failure = PageChecksumCheck.Failure(path: "base/5/1259", block: 7, stored: 0xD175, computed: 0x00A1)
        #expect(failure.description == "base/5/1259 block 7 (page says D175, content gives 00A1)")
    }
}
