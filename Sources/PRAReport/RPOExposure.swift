import Foundation
import PRACore

/// How much data production could have lost over the report period: the age of its newest
/// recoverable point (``StatusSample/recoverablePointAgeSeconds``: the archived WAL's age under
/// continuous archiving, else the newest backup's) sample by sample, against `RPO_TARGET`.
///
/// A window over the target starts when the recoverable point crossed the target's age (the
/// sample's time − its age + the target: the point did not change in between, or the sample
/// would show a younger one) and ends at the first sample back within the target — or, when the
/// samples stop, one sample validity (15 min) after the last one over it, or at the period's end
/// while still over. Its causes are read from the samples in it. Hourly summaries whose worst
/// age is over the target give windows of a whole hour, and count all their samples as over.
public struct RPOExposure: Sendable, Encodable {
    /// Why the recoverable point aged past the target, read from the samples.
    public enum Cause: String, Sendable, Encodable, CaseIterable {
        case databaseUnreachable = "database unreachable"
        case archiverFailing = "WAL archiver failing"
        case backupsStopped = "backups stopped (backup age growing, no WAL archived)"
        case walArchivingStalled = "WAL archiving stalled (newest archived WAL over the target)"
        case offSiteLag = "off-site copy lagging (over the target and more than 5 minutes behind the local copy)"
        case unexplained = "no cause in the samples (backup and WAL ages over the target)"
    }

    /// One stretch with the recoverable point older than the target.
    public struct Window: Sendable, Equatable, Encodable {
        public var start: Date
        public var end: Date
        public var seconds: Double
        /// The worst recoverable-point age seen in it.
        public var worstAgeSeconds: Double
        public var causes: [Cause]
        /// Still over the target at the end of the period.
        public var ongoing: Bool
        /// The samples stopped before it ended: its end is the last sample plus 15 min.
        public var endsInSamplingGap: Bool
        /// From hourly summaries: whole hours.
        public var hourly: Bool
        public var samples: Int

        /// "2026-11-03 11:00 UTC to 13:00 UTC (2h00m00s, worst 2h55m00s): backups stopped (…)".
        public var sentence: String {
            let sameDay = ComplianceFormat.day(start) == ComplianceFormat.day(end)
            let endText = sameDay ? String(ComplianceFormat.dateTime(end).dropFirst(11)) : ComplianceFormat.dateTime(end)
            var text = "\(ComplianceFormat.dateTime(start)) to \(endText)\(ongoing ? " (still over at the end of the period)" : "") (\(ComplianceFormat.duration(seconds)), worst \(ComplianceFormat.duration(worstAgeSeconds))): " + causes.map(\.rawValue).joined(separator: ", ")
            if endsInSamplingGap { text += "; the samples stopped, so its end is unknown" }
            if hourly { text += " (hourly summary)" }
            return text
        }
    }

    /// A point of the exposure chart: the worst age in one slice of the period (`nil`: no sample).
    public struct ChartPoint: Sendable, Equatable {
        public var start: Date
        public var end: Date
        public var worstAgeSeconds: Double?
    }

    public var targetSeconds: Double
    /// Samples (and summarised samples) that carried a recoverable-point age.
    public var samplesWithAge: Int
    public var samplesWithinTarget: Int
    /// Samples with neither a backup nor a WAL age.
    public var samplesWithoutAge: Int
    /// samplesWithinTarget ÷ samplesWithAge; `nil` without any age.
    public var shareWithinTarget: Double?
    public var worstAgeSeconds: Double?
    public var worstAt: Date?
    public var windows: [Window]
    /// Total time over the target.
    public var secondsOverTarget: Double
    /// The chart's slices (not in `--json`: the samples are the evidence).
    public var chart: [ChartPoint]

    enum CodingKeys: String, CodingKey {
        case targetSeconds, samplesWithAge, samplesWithinTarget, samplesWithoutAge, shareWithinTarget, worstAgeSeconds, worstAt, windows, secondsOverTarget
    }

    /// Slices in the exposure chart: fine enough for a 5-minute spike on a month's chart to show.
    static let chartSlices = 720

    init(timeline: StatusTimeline, targetSeconds: Double) {
        self.targetSeconds = targetSeconds
        let samples = timeline.samples
        let aged = samples.compactMap { sample in sample.status.recoverablePointAgeSeconds.map { (sample, $0) } }
        samplesWithAge = aged.count + timeline.summaries.filter { $0.maximumRecoverableAgeSeconds != nil }.reduce(0) { $0 + $1.samples }
        samplesWithinTarget = aged.filter { $0.1 <= targetSeconds }.count + timeline.summaries.filter { ($0.maximumRecoverableAgeSeconds ?? .infinity) <= targetSeconds }.reduce(0) { $0 + $1.samples }
        samplesWithoutAge = samples.count - aged.count + timeline.summaries.filter { $0.maximumRecoverableAgeSeconds == nil }.reduce(0) { $0 + $1.samples }
        shareWithinTarget = samplesWithAge > 0 ? Double(samplesWithinTarget) / Double(samplesWithAge) : nil

        var worst: (Double, Date)?
        for (sample, age) in aged where worst == nil || age > worst!.0 { worst = (age, sample.at) }
        for summary in timeline.summaries {
            if let age = summary.maximumRecoverableAgeSeconds, worst == nil || age > worst!.0 { worst = (age, summary.start) }
        }
        worstAgeSeconds = worst?.0
        worstAt = worst?.1

        var windows = Self.sampleWindows(aged, all: samples, timeline: timeline, target: targetSeconds)
        windows += Self.summaryWindows(timeline.summaries, target: targetSeconds)
        windows.sort { $0.start < $1.start }
        self.windows = windows
        secondsOverTarget = windows.reduce(0) { $0 + $1.seconds }
        chart = Self.chartPoints(aged, summaries: timeline.summaries, start: timeline.start, end: timeline.end)
    }

    private static func sampleWindows(_ aged: [(StatusTimeline.Sample, Double)], all: [StatusTimeline.Sample], timeline: StatusTimeline, target: Double) -> [Window] {
        var windows: [Window] = []
        var open: (start: Date, members: [(StatusTimeline.Sample, Double)])?
        var previous: Date?
        func close(end: Date, ongoing: Bool, gap: Bool) {
            guard let current = open else { return }
            let members = current.members
            let start = current.start
            let inWindow = all.filter { $0.at >= start && $0.at <= members.last!.0.at }
            windows.append(Window(start: start, end: end, seconds: end.timeIntervalSince(start), worstAgeSeconds: members.map(\.1).max() ?? 0,
                                  causes: causes(inWindow, target: target), ongoing: ongoing, endsInSamplingGap: gap, hourly: false, samples: members.count))
            open = nil
        }
        for (sample, age) in aged {
            if age > target {
                if open == nil {
                    var start = sample.at.addingTimeInterval(target - age)
                    if let previous { start = max(start, previous) }
                    open = (max(start, timeline.start), [])
                } else if let last = open?.members.last, sample.at.timeIntervalSince(last.0.at) > EvidenceLog.sampleValiditySeconds {
                    // The samples stopped while over the target; the time between is unknown.
                    close(end: last.0.at.addingTimeInterval(EvidenceLog.sampleValiditySeconds), ongoing: false, gap: true)
                    open = (sample.at, [])
                }
                open?.members.append((sample, age))
            } else if let last = open?.members.last {
                let validUntil = last.0.at.addingTimeInterval(EvidenceLog.sampleValiditySeconds)
                if sample.at > validUntil {
                    close(end: validUntil, ongoing: false, gap: true)
                } else {
                    close(end: sample.at, ongoing: false, gap: false)
                }
            }
            previous = sample.at
        }
        if let last = open?.members.last {
            let validUntil = last.0.at.addingTimeInterval(EvidenceLog.sampleValiditySeconds)
            if validUntil >= timeline.end {
                close(end: timeline.end, ongoing: true, gap: false)
            } else {
                close(end: validUntil, ongoing: false, gap: true)
            }
        }
        return windows
    }

    private static func summaryWindows(_ summaries: [StatusSummary], target: Double) -> [Window] {
        var windows: [Window] = []
        for summary in summaries {
            guard let age = summary.maximumRecoverableAgeSeconds, age > target else { continue }
            var causes: [Cause] = []
            if summary.unreachableSamples > 0 { causes.append(.databaseUnreachable) }
            if summary.archiverFailingSamples > 0 { causes.append(.archiverFailing) }
            if summary.maximumWALAgeSeconds == nil, (summary.maximumBackupAgeSeconds ?? 0) > target { causes.append(.backupsStopped) }
            if summary.archiverFailingSamples == 0, let wal = summary.maximumWALAgeSeconds, wal > target { causes.append(.walArchivingStalled) }
            if let offSite = summary.maximumOffSiteAgeSeconds, offSite > target, offSite - age > offSiteLagMarginSeconds { causes.append(.offSiteLag) }
            if causes.isEmpty { causes = [.unexplained] }
            if var last = windows.last, last.end == summary.start {
                last.end = summary.end
                last.seconds = last.end.timeIntervalSince(last.start)
                last.worstAgeSeconds = max(last.worstAgeSeconds, age)
                last.causes = Cause.allCases.filter { last.causes.contains($0) || causes.contains($0) }
                last.samples += summary.samples
                windows[windows.count - 1] = last
            } else {
                windows.append(Window(start: summary.start, end: summary.end, seconds: summary.end.timeIntervalSince(summary.start), worstAgeSeconds: age, causes: causes, ongoing: false, endsInSamplingGap: false, hourly: true, samples: summary.samples))
            }
        }
        return windows
    }

    /// How far the off-site copy may trail the local recoverable point before it counts as a
    /// cause of its own: one 5-minute sampling interval.
    static let offSiteLagMarginSeconds: Double = 300

    /// The causes the samples of a window show, most telling first.
    static func causes(_ samples: [StatusTimeline.Sample], target: Double) -> [Cause] {
        var causes: [Cause] = []
        if samples.contains(where: { !$0.status.reachable }) { causes.append(.databaseUnreachable) }
        let archiverFailing = samples.contains { $0.status.archiverFailing == true }
        if archiverFailing { causes.append(.archiverFailing) }
        let backupAges = samples.compactMap(\.status.backupAgeSeconds)
        if samples.allSatisfy({ $0.status.walAgeSeconds == nil }), let last = backupAges.last, last > target, last >= (backupAges.first ?? last) {
            causes.append(.backupsStopped)
        }
        if !archiverFailing, samples.contains(where: { ($0.status.walAgeSeconds ?? 0) > target }) { causes.append(.walArchivingStalled) }
        // The off-site copy is a cause of its own only when it trails the local recoverable
        // point by more than a sampling interval; otherwise it merely follows the local cause.
        if samples.contains(where: { sample in
            guard let offSite = sample.status.offSiteAgeSeconds, offSite > target else { return false }
            return offSite - (sample.status.recoverablePointAgeSeconds ?? offSite) > offSiteLagMarginSeconds
        }) { causes.append(.offSiteLag) }
        return causes.isEmpty ? [.unexplained] : causes
    }

    /// The worst age per slice of the period (at most ``chartSlices``), so the chart stays the
    /// same size however many samples there are, and a short spike is never averaged away.
    private static func chartPoints(_ aged: [(StatusTimeline.Sample, Double)], summaries: [StatusSummary], start: Date, end: Date) -> [ChartPoint] {
        let period = end.timeIntervalSince(start)
        guard period > 0 else { return [] }
        let count = chartSlices
        let width = period / Double(count)
        var worst = [Double?](repeating: nil, count: count)
        func slot(_ date: Date) -> Int { min(count - 1, max(0, Int(date.timeIntervalSince(start) / width))) }
        func record(_ index: Int, _ age: Double) { worst[index] = max(worst[index] ?? 0, age) }
        for (index, (sample, age)) in aged.enumerated() {
            // A sample stands until the next one, 15 minutes at most: mark every slice it covers.
            var until = min(end, sample.at.addingTimeInterval(EvidenceLog.sampleValiditySeconds))
            if index + 1 < aged.count { until = min(until, aged[index + 1].0.at) }
            let first = slot(sample.at)
            let last = max(first, slot(until.addingTimeInterval(-0.001)))
            for slice in first...last { record(slice, age) }
        }
        for summary in summaries {
            guard let age = summary.maximumRecoverableAgeSeconds else { continue }
            for index in slot(summary.start)...slot(summary.end.addingTimeInterval(-1)) { record(index, age) }
        }
        return (0..<count).map { ChartPoint(start: start.addingTimeInterval(width * Double($0)), end: start.addingTimeInterval(width * Double($0 + 1)), worstAgeSeconds: worst[$0]) }
    }
}
