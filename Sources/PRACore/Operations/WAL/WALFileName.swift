import Foundation

/// The name of a file PostgreSQL archives: a WAL segment (`000000010000000A000000FF`), a
/// timeline history (`00000002.history`), a backup history label
/// (`000000010000000000000002.00000028.backup`) or a partial segment left by a promotion
/// (`000000010000000000000005.partial`).
public struct WALFileName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case segment, history, backupLabel = "backup", partial
    }

    public let text: String
    public let kind: Kind
    /// The timeline: of the segment, or the one a history file describes.
    public let timeline: UInt32

    /// Parses `text`; `nil` when it is none of the names PostgreSQL archives (which also
    /// keeps path separators and dot-dot out of every name the archive builds paths from).
    public init?(_ text: String) {
        let hex = Set("0123456789ABCDEF")
        func isHex(_ part: Substring) -> Bool { part.allSatisfy { hex.contains($0) } }
        if text.count == 24, isHex(text[...]) {
            kind = .segment
        } else if text.count == 16, text.hasSuffix(".history"), isHex(text.prefix(8)) {
            kind = .history
        } else if text.count == 32, text.hasSuffix(".partial"), isHex(text.prefix(24)) {
            kind = .partial
        } else if text.count == 40, text.hasSuffix(".backup"), isHex(text.prefix(24)), text.dropFirst(24).first == ".", isHex(text.dropFirst(25).prefix(8)) {
            kind = .backupLabel
        } else {
            return nil
        }
        self.text = text
        timeline = UInt32(text.prefix(8), radix: 16) ?? 0
    }

    /// The segment name for `segmentNumber` (absolute: LSN / segment size) on `timeline`.
    public init(timeline: UInt32, segmentNumber: UInt64, segmentSize: UInt64) {
        let perLogFile = Self.segmentsPerLogFile(segmentSize)
        self.init(String(format: "%08X%08X%08X", timeline, UInt32(segmentNumber / perLogFile), UInt32(segmentNumber % perLogFile)))!
    }

    /// Segments per 4 GiB "log file" (the middle eight hex digits): 256 for 16 MiB segments.
    public static func segmentsPerLogFile(_ segmentSize: UInt64) -> UInt64 { 0x1_0000_0000 / max(segmentSize, 1) }

    /// For segments, partial segments and backup labels: the absolute segment number.
    public func segmentNumber(segmentSize: UInt64) -> UInt64? {
        guard kind != .history else { return nil }
        let chars = Array(text)
        guard let log = UInt64(String(chars[8..<16]), radix: 16), let seg = UInt64(String(chars[16..<24]), radix: 16) else { return nil }
        return log * Self.segmentsPerLogFile(segmentSize) + seg
    }

    /// The segment holding `lsn` on `timeline`.
    public static func segment(containing lsn: LogSequenceNumber, timeline: UInt32, segmentSize: UInt64) -> WALFileName {
        WALFileName(timeline: timeline, segmentNumber: lsn.value / segmentSize, segmentSize: segmentSize)
    }

    /// The archive sub-directory: timeline and log file (16 hex digits), or `timelines` for
    /// history files, so that no directory holds more than 256 segments of 16 MiB.
    public var directoryName: String { kind == .history ? "timelines" : String(text.prefix(16)) }

    public var description: String { text }

    public static func < (lhs: WALFileName, rhs: WALFileName) -> Bool { lhs.text < rhs.text }
}

/// A WAL position, written by PostgreSQL as `16/B374D848` (two hex halves).
public struct LogSequenceNumber: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let value: UInt64

    public init(_ value: UInt64) {
        self.value = value
    }

    /// Parses `X/Y`; `nil` when `text` is not an LSN.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/")
        guard parts.count == 2, parts[0].count <= 8, parts[1].count <= 8,
              let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else { return nil }
        value = high << 32 | low
    }

    public var description: String { String(format: "%X/%X", UInt32(value >> 32), UInt32(value & 0xFFFF_FFFF)) }

    public static func < (lhs: LogSequenceNumber, rhs: LogSequenceNumber) -> Bool { lhs.value < rhs.value }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = LogSequenceNumber(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(text) is not an LSN (X/Y)"))
        }
        self = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
