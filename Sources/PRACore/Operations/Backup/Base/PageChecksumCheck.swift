import CPosix
import Foundation

/// Verifies PostgreSQL's data page checksums (`data_checksums`) in what a base backup reads from
/// the data directory, the check the server makes for `pg_basebackup`, so that a backup read
/// locally catches the same corruption as one streamed.
///
/// Which pages count: every whole page of a relation fork file (``RelationFileName``: every fork
/// of a relation in `base/` and `global/`, not `pg_control`, `pg_filenode.map` or `PG_VERSION`),
/// except a new page (`pd_upper` 0: never initialised, it carries no checksum) and a page
/// stamped at or after the backup's start: the server may be writing it while pra reads it (a
/// torn read), and recovery replaces it from the full-page image the WAL holds for its first
/// change after the start. A failing page is read once more before it counts (``recheck``).
public struct PageChecksumCheck: Sendable {
    /// `block_size`.
    public let pageSize: Int
    /// Pages in a 1 GiB (`segment_size`) file of a relation: file `<node>.<n>` starts at block
    /// `n * pagesPerSegment`, and the checksum mixes in the block number.
    public let pagesPerSegment: UInt32
    /// The backup's start (`pg_backup_start`).
    public let backupStart: LogSequenceNumber

    public init(pageSize: Int, pagesPerSegment: UInt32, backupStart: LogSequenceNumber) {
        self.pageSize = pageSize
        self.pagesPerSegment = pagesPerSegment
        self.backupStart = backupStart
    }

    /// A page whose stored checksum is not the one its content gives.
    public struct Failure: Equatable, Sendable {
        /// Relative to the data directory.
        public var path: String
        /// The block number in its relation fork.
        public var block: UInt32
        public var stored: UInt16
        public var computed: UInt16

        public var description: String {
            "\(path) block \(block) (page says \(String(format: "%04X", stored)), content gives \(String(format: "%04X", computed)))"
        }
    }

    /// What one page says.
    enum PageVerdict: Equatable {
        /// New, or stamped at or after the backup's start: not checked.
        case skipped
        case verified
        case failed(stored: UInt16, computed: UInt16)
    }

    /// The page at the start of `page` (`pageSize` bytes), block `block` of its fork.
    func verdict(_ page: UnsafeRawBufferPointer, block: UInt32) -> PageVerdict {
        // pd_lsn at 0, pd_checksum at 8, pd_upper at 14.
        let lsn = PageLSNScan.pageLSN(page, at: 0)
        let upper = UInt16(littleEndian: page.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
        if upper == 0 || lsn >= backupStart.value { return .skipped }
        let stored = UInt16(littleEndian: page.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        let computed = pra_page_checksum(page.baseAddress, pageSize, block)
        return stored == computed ? .verified : .failed(stored: stored, computed: computed)
    }

    /// The pages of `bytes` (a range of a file, starting at block `firstBlock`): how many were
    /// verified, and the offsets in `bytes` of those that failed. A trailing partial page (a
    /// file being extended) is not checked.
    func scan(_ bytes: UnsafeRawBufferPointer, firstBlock: UInt32) -> (verified: Int, failing: [Int]) {
        var verified = 0
        var failing: [Int] = []
        var offset = 0
        while offset + pageSize <= bytes.count {
            switch verdict(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + pageSize)]), block: firstBlock + UInt32(offset / pageSize)) {
            case .skipped: break
            case .verified: verified += 1
            case .failed: failing.append(offset)
            }
            offset += pageSize
        }
        return (verified, failing)
    }

    /// Reads the page at `offset` of the open file again (the server's own check does the
    /// same): a page written while it was read first shows its new content now, stamped after
    /// the start, or its checksum right. The failure, when it stays; `nil` when it was torn.
    func recheck(_ descriptor: Int32, path: String, at offset: UInt64, block: UInt32) -> Failure? {
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 16)
        defer { page.deallocate() }
        guard let filled = try? PositionalRead.fill(descriptor, page, at: offset, path: path), filled == pageSize else { return nil }
        guard case .failed(let stored, let computed) = verdict(UnsafeRawBufferPointer(page), block: block) else { return nil }
        return Failure(path: path, block: block, stored: stored, computed: computed)
    }
}
