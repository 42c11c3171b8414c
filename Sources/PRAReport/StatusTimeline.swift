import Foundation
import PRACore

/// The report period cut into stretches of known state, from status samples and hourly
/// summaries: what availability and the charts are computed from.
///
/// A sample stands for the database's state from its time until the next sample (or summary),
/// at most ``EvidenceLog/sampleValiditySeconds``; beyond that, and before the first sample, the
/// state is unknown — never counted as up. A summary stands for its hour with the up and down
/// seconds it recorded; samples inside a summarised hour are ignored (they were compacted into
/// it).
struct StatusTimeline: Sendable {
    /// A status sample with its time.
    struct Sample: Sendable {
        var at: Date
        var status: StatusSample
    }

    /// One stretch of the period.
    struct Segment: Sendable, Equatable, Encodable {
        enum State: String, Sendable, Encodable {
            case up, down, unknown
        }
        var start: Date
        var end: Date
        var state: State
        /// From an hourly summary: drawn whole, its figures in ``upSeconds`` / ``downSeconds``.
        var summarised: Bool
        var upSeconds: Double
        var downSeconds: Double
        var seconds: Double { end.timeIntervalSince(start) }
    }

    let start: Date
    let end: Date
    /// The samples that count (inside the period, outside summarised hours), oldest first.
    let samples: [Sample]
    /// The summaries inside the period, oldest first.
    let summaries: [StatusSummary]
    /// Consecutive stretches covering [start, end), adjacent ones of the same state merged
    /// (summaries are kept apart).
    let segments: [Segment]

    init(samples unsorted: [Sample], summaries unsortedSummaries: [StatusSummary], start: Date, end: Date) {
        self.start = start
        self.end = end
        let summaries = unsortedSummaries.filter { $0.end > start && $0.start < end }.sorted { $0.start < $1.start }
        let samples = unsorted.filter { sample in
            sample.at >= start && sample.at < end && !summaries.contains { sample.at >= $0.start && sample.at < $0.end }
        }.sorted { $0.at < $1.at }
        self.samples = samples
        self.summaries = summaries

        var raw: [Segment] = []
        for summary in summaries {
            let from = max(start, summary.start), to = min(end, summary.end)
            guard to > from else { continue }
            let state: Segment.State = summary.downSeconds > 0 ? .down : (summary.upSeconds > 0 ? .up : .unknown)
            raw.append(Segment(start: from, end: to, state: state, summarised: true, upSeconds: min(summary.upSeconds, to.timeIntervalSince(from)), downSeconds: min(summary.downSeconds, to.timeIntervalSince(from))))
        }
        for (index, sample) in samples.enumerated() {
            var until = min(end, sample.at.addingTimeInterval(EvidenceLog.sampleValiditySeconds))
            if index + 1 < samples.count { until = min(until, samples[index + 1].at) }
            if let next = summaries.first(where: { $0.start > sample.at }) { until = min(until, next.start) }
            guard until > sample.at else { continue }
            let seconds = until.timeIntervalSince(sample.at)
            let up = sample.status.reachable
            raw.append(Segment(start: sample.at, end: until, state: up ? .up : .down, summarised: false, upSeconds: up ? seconds : 0, downSeconds: up ? 0 : seconds))
        }
        raw.sort { $0.start < $1.start }

        // Fill the holes with unknown, merge neighbours of the same state.
        var merged: [Segment] = []
        var cursor = start
        func add(_ segment: Segment) {
            if let last = merged.last, !last.summarised, !segment.summarised, last.state == segment.state, last.end == segment.start {
                merged[merged.count - 1].end = segment.end
                merged[merged.count - 1].upSeconds += segment.upSeconds
                merged[merged.count - 1].downSeconds += segment.downSeconds
            } else {
                merged.append(segment)
            }
        }
        for segment in raw {
            var segment = segment
            if segment.start < cursor { segment.start = cursor }
            guard segment.end > segment.start else { continue }
            // An overlap (two summaries of one hour) counts once.
            let span = segment.seconds
            if segment.summarised {
                segment.upSeconds = min(segment.upSeconds, span)
                segment.downSeconds = min(segment.downSeconds, span - segment.upSeconds)
            } else {
                segment.upSeconds = segment.state == .up ? span : 0
                segment.downSeconds = segment.state == .down ? span : 0
            }
            if segment.start > cursor {
                add(Segment(start: cursor, end: segment.start, state: .unknown, summarised: false, upSeconds: 0, downSeconds: 0))
            }
            add(segment)
            cursor = segment.end
        }
        if end > cursor {
            add(Segment(start: cursor, end: end, state: .unknown, summarised: false, upSeconds: 0, downSeconds: 0))
        }
        segments = merged
    }
}
