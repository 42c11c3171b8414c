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
