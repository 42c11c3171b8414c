import Foundation

/// The long page header at the start of every WAL segment: which database system wrote it
/// and the segment size it was initialised with (PostgreSQL's `XLogLongPageHeaderData`).
public struct WALSegmentHeader: Sendable, Equatable {
    public let systemIdentifier: UInt64
    public let segmentSize: UInt64
    /// The timeline the first page was written on (`xlp_tli`): the segment's own, or an older
    /// one for the first segment of a new timeline (copied from its parent up to the switch).
    public var timeline: UInt32 = 0
    /// The WAL position of the first page (`xlp_pageaddr`): the segment's start.
    public var pageAddress: UInt64 = 0

    /// Header bytes needed: the short header (24 with padding), system id (8), segment size (4), block size (4).
    public static let length = 40
    private static let longHeaderFlag: UInt16 = 0x0002

    /// Reads the header from the first bytes of a segment; `nil` with the reason when they are not one.
    /// Why this header cannot begin the segment `name` of the database system `system`
    /// (segment size `segmentSize`); `nil` when it can. An off-site copy names the segment it
    /// claims to be: a file of another system, another position or another timeline is refused.
    public func mismatch(for name: WALFileName, system: String?, segmentSize expectedSize: UInt64?) -> String? {
        if let system, String(systemIdentifier) != system {
            return "its header names database system \(systemIdentifier), the archive belongs to \(system)"
        }
        if let expectedSize, segmentSize != expectedSize {
            return "its header names segments of \(segmentSize) bytes, the archive's are \(expectedSize)"
        }
        if let number = name.segmentNumber(segmentSize: segmentSize), pageAddress / segmentSize != number || pageAddress % segmentSize != 0 {
            return "its header says it starts at \(LogSequenceNumber(pageAddress)), not at segment \(name.text)"
        }
        if timeline == 0 || timeline > name.timeline {
            return "its header names timeline \(timeline), later than the name's \(name.timeline)"
        }
        return nil
    }

    public static func parse(_ bytes: [UInt8]) -> Result<WALSegmentHeader, WALHeaderProblem> {
        guard bytes.count >= length else { return .failure(.init(reason: "only \(bytes.count) bytes, shorter than a WAL page header")) }
        func integer(_ offset: Int, _ size: Int) -> UInt64 {
            (0..<size).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        let info = UInt16(integer(2, 2))
        guard info & longHeaderFlag != 0 else { return .failure(.init(reason: "the first page has no long header (not the start of a segment)")) }
        let segmentSize = integer(32, 4)
        let blockSize = integer(36, 4)
        guard segmentSize.nonzeroBitCount == 1, (1 << 20...1 << 30).contains(segmentSize),
              blockSize.nonzeroBitCount == 1, (1024...65536).contains(blockSize) else {
            return .failure(.init(reason: "header names segment size \(segmentSize) and block size \(blockSize), which PostgreSQL never uses"))
        }
        var header = WALSegmentHeader(systemIdentifier: integer(24, 8), segmentSize: segmentSize)
        header.timeline = UInt32(integer(4, 4))
        header.pageAddress = integer(8, 8)
        return .success(header)
    }
}

/// Why the first bytes of a file are not a WAL segment header.
public struct WALHeaderProblem: Error, Sendable {
    public let reason: String
}
