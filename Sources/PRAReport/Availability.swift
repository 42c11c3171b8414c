import Foundation
import PRACore

/// Availability of one production database over the report period, from its `pra status`
/// samples and hourly summaries (see ``StatusTimeline``), against `SLA_TARGET`.
///
/// Time without a sample is **unknown**, never up: availability is up ÷ (up + down) over the
/// known time, and the lower bound counts every unknown second as down. The target is met when
/// even the lower bound reaches it, missed when the known time alone falls short, and not proven
/// in between.
public struct Availability: Sendable, Encodable {
    /// Whether the SLA was met.
    public enum Status: String, Sendable, Encodable {
        case met
        /// The known time alone is under the target.
        case missed
        /// Within the target over the known time, but the unknown time could hide a miss.
        case notProven = "not proven"
    }

    /// A stretch the database did not answer.
    public struct Outage: Sendable, Equatable, Encodable {
        public var start: Date
        public var end: Date
        public var downSeconds: Double
        /// Inside an hourly summary: the minutes are known, not their place in the hour.
        public var hourly: Bool
    }

    /// A stretch without any status sample.
    public struct Gap: Sendable, Equatable, Encodable {
        public var start: Date
        public var end: Date
        public var seconds: Double
    }

    public var periodStart: Date
    public var periodEnd: Date
    public var upSeconds: Double
    public var downSeconds: Double
    public var unknownSeconds: Double
    /// up ÷ (up + down), in percent; `nil` when no time is known.
    public var availabilityPercent: Double?
    /// up ÷ the whole period, in percent: unknown time counted as down.
    public var lowerBoundPercent: Double
    public var targetPercent: Double
    public var status: Status
    public var outages: [Outage]
    public var gaps: [Gap]
    /// The period, stretch by stretch (up, down, unknown): what the availability chart draws.
    public var timeline: [TimelineSegment]

    /// A stretch of the period in one state.
    public struct TimelineSegment: Sendable, Equatable, Encodable {
        public var start: Date
        public var end: Date
        /// `up`, `down` or `unknown`.
        public var state: String
        /// From an hourly summary (drawn as a whole hour).
        public var summarised: Bool
    }

    init(timeline: StatusTimeline, targetPercent: Double) {
        periodStart = timeline.start
        periodEnd = timeline.end
        self.targetPercent = targetPercent
        let segments = timeline.segments
        upSeconds = segments.reduce(0) { $0 + $1.upSeconds }
        downSeconds = segments.reduce(0) { $0 + $1.downSeconds }
        let period = max(timeline.end.timeIntervalSince(timeline.start), 0)
        unknownSeconds = max(0, period - upSeconds - downSeconds)
        let known = upSeconds + downSeconds
        availabilityPercent = known > 0 ? upSeconds / known * 100 : nil
        lowerBoundPercent = period > 0 ? upSeconds / period * 100 : 0
        if let availabilityPercent, availabilityPercent < targetPercent {
            status = .missed
        } else if lowerBoundPercent >= targetPercent {
            status = .met
        } else {
            status = .notProven
        }
        outages = segments.filter { $0.downSeconds > 0 }.map { Outage(start: $0.start, end: $0.end, downSeconds: $0.downSeconds, hourly: $0.summarised) }
        gaps = segments.filter { $0.state == .unknown && !$0.summarised }.map { Gap(start: $0.start, end: $0.end, seconds: $0.seconds) }
        self.timeline = segments.map { TimelineSegment(start: $0.start, end: $0.end, state: $0.state.rawValue, summarised: $0.summarised) }
    }

    /// The downtime budget the SLA allows over the period.
    public var allowedDownSeconds: Double {
        periodEnd.timeIntervalSince(periodStart) * (1 - targetPercent / 100)
    }

    /// `99.907%`: three decimals, enough to tell 99.9 from 99.907.
    public static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        return String(format: "%.3f%%", value)
    }

    /// One sentence: the figure, the target, the downtime and the unknown time.
    public var sentence: String {
        let minutes = ComplianceFormat.duration(downSeconds)
        var text = "Availability \(Self.percent(availabilityPercent)) against the \(Self.percent(targetPercent)) SLA: \(minutes) down in \(ComplianceFormat.count(outages.count, "outage")) from \(ComplianceFormat.dateTime(periodStart)) to \(ComplianceFormat.dateTime(periodEnd))"
        if unknownSeconds >= 1 {
            text += "; \(ComplianceFormat.duration(unknownSeconds)) without a status sample (unknown, not counted as up; counting it as down gives \(Self.percent(lowerBoundPercent)))"
        }
        switch status {
        case .met: text += " — met."
        case .missed: text += " — missed (the SLA allows \(ComplianceFormat.duration(allowedDownSeconds)) down over the period)."
        case .notProven: text += " — not proven: the unknown time could hide a miss."
        }
        return text
    }
}
