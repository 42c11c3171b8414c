import Foundation

/// The long page header at the start of every WAL segment: which database system wrote it
/// and the segment size it was initialised with (PostgreSQL's `XLogLongPageHeaderData`).
public struct WALSegmentHeader: Sendable, Equatable {
    public let systemIdentifier: UInt64
    public let segmentSize: UInt64

    /// Header bytes needed: the short header (24 with padding), system id (8), segment size (4), block size (4).
    public static let length = 40
    private static let longHeaderFlag: UInt16 = 0x0002

    /// Reads the header from the first bytes of a segment; `nil` with the reason when they are not one.
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
        return .success(WALSegmentHeader(systemIdentifier: integer(24, 8), segmentSize: segmentSize))
    }
}

/// Why the first bytes of a file are not a WAL segment header.
public struct WALHeaderProblem: Error, Sendable {
    public let reason: String
}
