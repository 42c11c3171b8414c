import Foundation

/// Whether the archive holds every WAL segment from a starting segment on, following the
/// timeline switches recovery would follow (to the newest timeline descending from it).
public struct WALContinuity: Sendable {
    public let start: WALFileName
    /// The timelines recovery follows, oldest first.
    public let timelines: [UInt32]
    /// The newest segment reached from `start` with none missing in between.
    public let lastContiguous: WALArchive.File?
    /// The first segment missing although later ones are archived: recovery cannot pass it.
    public let gap: WALFileName?
    /// The newest segment archived on the followed timelines.
    public let newest: WALArchive.File?

    /// - Parameters:
    ///   - files: the archive's files (``WALArchive/files()``).
    ///   - history: the ancestry of a timeline (``WALArchive/history(of:)``).
    public init(files: [WALArchive.File], start: WALFileName, segmentSize: UInt64, history: (UInt32) -> TimelineHistory) {
        self.start = start
        let segments = files.filter { $0.name.kind == .segment }
        let candidates = Set(files.filter { $0.name.kind == .segment || $0.name.kind == .history }.map(\.name.timeline)).sorted(by: >)
        let chain = candidates.lazy.filter { $0 >= start.timeline }.map(history).first { $0.timelines.contains(start.timeline) }
            ?? TimelineHistory(rootTimeline: start.timeline)
        timelines = chain.timelines
        let followed = Set(chain.timelines)
        var byPosition: [UInt64: [UInt32: WALArchive.File]] = [:]
        var newestNumber: UInt64?
        var newest: WALArchive.File?
        for file in segments where followed.contains(file.name.timeline) {
            guard let number = file.name.segmentNumber(segmentSize: segmentSize) else { continue }
            byPosition[number, default: [:]][file.name.timeline] = file
            if number >= (newestNumber ?? 0), chain.timeline(forSegment: number, segmentSize: segmentSize) == file.name.timeline {
                newestNumber = number
                newest = file
            }
        }
        self.newest = newest
        var lastContiguous: WALArchive.File?
        var gap: WALFileName?
        if let startNumber = start.segmentNumber(segmentSize: segmentSize), let end = newestNumber, end >= startNumber {
            for number in startNumber...end {
                let timeline = chain.timeline(forSegment: number, segmentSize: segmentSize)
                guard let file = byPosition[number]?[timeline] else {
                    gap = WALFileName(timeline: timeline, segmentNumber: number, segmentSize: segmentSize)
                    break
                }
                lastContiguous = file
            }
        }
        self.lastContiguous = lastContiguous
        self.gap = gap
    }

    /// True when the archive holds every segment from `start` through `name`.
    public func covers(_ name: WALFileName, segmentSize: UInt64) -> Bool {
        guard let last = lastContiguous?.name.segmentNumber(segmentSize: segmentSize),
              let wanted = name.segmentNumber(segmentSize: segmentSize) else { return false }
        return wanted <= last
    }
}
