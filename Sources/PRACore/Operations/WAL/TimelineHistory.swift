import Foundation

/// The ancestry of a timeline, from its `NNNNNNNN.history` file: for each earlier timeline,
/// the LSN where it was left.
public struct TimelineHistory: Sendable, Equatable {
    /// One timeline of the chain and the LSN where the next one begins (`nil`: the last).
    public struct Entry: Sendable, Equatable {
        public let timeline: UInt32
        public let begins: LogSequenceNumber
        public let ends: LogSequenceNumber?
    }

    /// Oldest first; the last entry is the timeline itself.
    public let entries: [Entry]

    /// The chain of a timeline that has no history file (timeline 1).
    public init(rootTimeline: UInt32) {
        entries = [Entry(timeline: rootTimeline, begins: LogSequenceNumber(0), ends: nil)]
    }

    /// Parses the history file of `timeline`: lines `parentTLI <tab> switch LSN <tab> reason`.
    public init(timeline: UInt32, text: String) {
        var entries: [Entry] = []
        var begins = LogSequenceNumber(0)
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            let fields = trimmed.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 2, let parent = UInt32(fields[0]), let end = LogSequenceNumber(String(fields[1])) else { continue }
            entries.append(Entry(timeline: parent, begins: begins, ends: end))
            begins = end
        }
        entries.append(Entry(timeline: timeline, begins: begins, ends: nil))
        self.entries = entries
    }

    public var timelines: [UInt32] { entries.map(\.timeline) }

    /// The timeline recovery reads segment `segmentNumber` from: the newest one that had begun
    /// by that segment (PostgreSQL takes the segment holding a switch point from the new timeline).
    public func timeline(forSegment segmentNumber: UInt64, segmentSize: UInt64) -> UInt32 {
        entries.last { $0.begins.value / segmentSize <= segmentNumber }?.timeline ?? entries[0].timeline
    }
}

/// Why the content of a timeline history or backup history file is not what PostgreSQL writes:
/// the line (1-based; `nil` for the file as a whole) and the reason.
public struct WALContentProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int?
    public let reason: String

    public init(line: Int?, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { line.map { "line \($0): \(reason)" } ?? reason }
}

extension TimelineHistory {
    /// Larger than any history PostgreSQL writes (a line per ancestor, each well under 1 KiB).
    public static let maximumFileBytes = 1 << 20

    /// Parses the history file of `timeline` as PostgreSQL writes it, refusing anything else:
    /// lines `parentTLI <tab> switchpoint X/X <tab> reason` (blank and `#` lines allowed, as
    /// PostgreSQL's own reader allows them), at least one of them, parent timelines strictly
    /// increasing and below `timeline`, switch points strictly increasing.
    ///
    /// The lenient ``init(timeline:text:)`` skips what it cannot read: a forged or damaged file
    /// would silently move where recovery switches timelines, so pushes and `pra verify` use this.
    public static func validated(timeline: UInt32, content: Data) throws(WALContentProblem) -> TimelineHistory {
        guard timeline > 1 else { throw WALContentProblem(line: nil, reason: "timeline 1 has no history file (PostgreSQL never writes one)") }
        guard content.count <= maximumFileBytes else {
            throw WALContentProblem(line: nil, reason: "\(content.count) bytes, more than the \(maximumFileBytes) a timeline history can hold")
        }
        guard !content.contains(0) else { throw WALContentProblem(line: nil, reason: "it holds NUL bytes (not a text file)") }
        let text = String(decoding: content, as: UTF8.self)
        var entries: [Entry] = []
        var begins = LogSequenceNumber(0)
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, !fields[0].isEmpty, fields[0].allSatisfy(\.isASCII), fields[0].allSatisfy(\.isNumber), let parent = UInt32(fields[0]) else {
                throw WALContentProblem(line: number, reason: "expected <parent timeline> TAB <switch point X/X> TAB <reason>, found \"\(Self.excerpt(line))\"")
            }
            let point = fields[1].trimmingCharacters(in: .whitespaces)
            guard point.allSatisfy({ $0 == "/" || $0.isHexDigit }), let end = LogSequenceNumber(point) else {
                throw WALContentProblem(line: number, reason: "switch point \"\(Self.excerpt(fields[1]))\" is not a WAL location (X/X)")
            }
            guard parent >= 1, parent < timeline else {
                throw WALContentProblem(line: number, reason: "parent timeline \(parent) is not below the file's own timeline \(timeline)")
            }
            if let previous = entries.last, parent <= previous.timeline {
                throw WALContentProblem(line: number, reason: "parent timeline \(parent) does not follow timeline \(previous.timeline) of the line before (timelines must increase)")
            }
            guard end > begins else {
                throw WALContentProblem(line: number, reason: "switch point \(end) is not after \(begins), where timeline \(parent) began")
            }
            entries.append(Entry(timeline: parent, begins: begins, ends: end))
            begins = end
        }
        guard !entries.isEmpty else { throw WALContentProblem(line: nil, reason: "no timeline line: the history of timeline \(timeline) names at least its parent") }
        entries.append(Entry(timeline: timeline, begins: begins, ends: nil))
        return TimelineHistory(entries: entries)
    }

    init(entries: [Entry]) {
        self.entries = entries
    }

    static func excerpt(_ text: some StringProtocol) -> String {
        let cleaned = String(text.prefix(60)).map { $0.isASCII && !$0.isWhitespace || $0 == " " ? $0 : "?" }
        return String(cleaned) + (text.count > 60 ? "…" : "")
    }
}
