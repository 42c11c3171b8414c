import Foundation

/// Compacts the evidence log's old status samples into hourly ``StatusSummary`` records, so a
/// year of 5-minute samples stays a few thousand lines. Pure: lines in, lines out; the file
/// rewrite around it is ``EvidenceLog/compact(now:retention:)``.
///
/// What is kept exactly, at hourly resolution: the samples and unreachable samples counted, the
/// seconds up and down (each sample counts until the next one of its database, at most
/// ``EvidenceLog/sampleValiditySeconds``, split across the hours it spans), the worst and best
/// ages, the archiver failures, the last size. A sample's time that runs into an hour not
/// compacted yet is attributed when that hour is, from the summary's ``StatusSummary/lastSampleAt``.
/// Restore records, existing summaries of other hours and lines this pra cannot use (damaged,
/// or written by a newer pra) are kept as they are, in place.
public struct EvidenceCompaction: Sendable {
    /// One line of the log: a usable record, or a line kept byte for byte.
    public enum Line: Sendable, Equatable {
        case record(EvidenceRecord)
        case opaque(Data)
    }

    /// Samples taken before this moment (an hour boundary) are compacted.
    public var boundary: Date
    public var validity: Double

    /// Compacts the samples of the hours that end at or before `before` (rounded down to the hour).
    public init(before: Date, validity: Double = EvidenceLog.sampleValiditySeconds) {
        boundary = Self.hourStart(before)
        self.validity = validity
    }

    static func hourStart(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
    }

    /// Whether `lines` hold a sample this compaction would summarise.
    public func isDue(_ lines: [Line]) -> Bool {
        lines.contains { if case .record(let record) = $0 { return compacts(record) } else { return false } }
    }

    private func compacts(_ record: EvidenceRecord) -> Bool {
        record.kind == .status && record.status != nil && record.at < boundary
    }

    private struct Series: Hashable {
        let host: String
        let database: String
    }

    private struct HourKey: Hashable {
        let series: Series
        let start: Date
    }

    /// What the lines hold, series by series: the samples to compact, the first sample kept
    /// after them, the last sample an earlier compaction counted, and the existing summaries.
    private struct Gathered {
        var samples: [Series: [(at: Date, sample: StatusSample)]] = [:]
        var later: [Series: Date] = [:]
        var previous: [Series: (at: Date, reachable: Bool)] = [:]
        var existing: [HourKey: StatusSummary] = [:]
    }

    /// The lines after compaction: the new summaries where the first compacted sample was, every
    /// other line in its place (a summary of an hour that already had one is merged into it).
    public func compact(_ lines: [Line]) -> [Line] {
        let gathered = gather(lines)
        guard !gathered.samples.isEmpty else { return lines }
        var tally = HourlyTally(boundary: boundary, validity: validity, existing: gathered.existing)
        for (series, unsorted) in gathered.samples {
            let sorted = unsorted.sorted { $0.at < $1.at }
            for (at, sample) in sorted { tally.add(sample, at: at, series: series) }
            // The last sample of the previous compaction runs into these hours (its own hour
            // was counted then, up to that compaction's boundary: an hour end at least).
            if let previous = gathered.previous[series], let first = sorted.first, previous.at < first.at {
                tally.attribute(series, from: previous.at, reachable: previous.reachable, until: first.at, countingFrom: Self.hourStart(previous.at).addingTimeInterval(3600))
            }
            for (index, entry) in sorted.enumerated() {
                let next = index + 1 < sorted.count ? sorted[index + 1].at : gathered.later[series]
                tally.attribute(series, from: entry.at, reachable: entry.sample.reachable, until: next)
            }
        }
        return place(lines, summaries: tally.summaries, existing: tally.existing)
    }

    private func gather(_ lines: [Line]) -> Gathered {
        var gathered = Gathered()
        for case .record(let record) in lines {
            let series = Series(host: record.host, database: record.database)
            if compacts(record), let sample = record.status {
                gathered.samples[series, default: []].append((record.at, sample))
            } else if record.kind == .status {
                gathered.later[series] = min(gathered.later[series] ?? record.at, record.at)
            } else if let summary = record.summary {
                gathered.existing[HourKey(series: series, start: summary.start)] = summary
                if let at = summary.lastSampleAt, let reachable = summary.lastSampleReachable, at >= (gathered.previous[series]?.at ?? .distantPast) {
                    gathered.previous[series] = (at, reachable)
                }
            }
        }
        return gathered
    }

    /// The hourly summaries being built, and the existing ones time may be added to.
    private struct HourlyTally {
        let boundary: Date
        let validity: Double
        var existing: [HourKey: StatusSummary]
        var summaries: [HourKey: StatusSummary] = [:]

        init(boundary: Date, validity: Double, existing: [HourKey: StatusSummary]) {
            self.boundary = boundary
            self.validity = validity
            self.existing = existing
        }

        /// Counts one sample into its hour's summary (an existing summary of that hour is
        /// taken over).
        mutating func add(_ sample: StatusSample, at: Date, series: Series) {
            let key = HourKey(series: series, start: EvidenceCompaction.hourStart(at))
            var summary = summaries[key] ?? existing[key] ?? StatusSummary(
                start: key.start, end: key.start.addingTimeInterval(3600), samples: 0, unreachableSamples: 0, upSeconds: 0, downSeconds: 0,
                maximumRecoverableAgeSeconds: nil, minimumRecoverableAgeSeconds: nil, maximumBackupAgeSeconds: nil, maximumWALAgeSeconds: nil,
                maximumOffSiteAgeSeconds: nil, archiverFailingSamples: 0, databaseSizeBytes: nil)
            existing[key] = nil
            summary.samples += 1
            if !sample.reachable { summary.unreachableSamples += 1 }
            if sample.archiverFailing == true { summary.archiverFailingSamples += 1 }
            summary.maximumRecoverableAgeSeconds = EvidenceCompaction.maximum(summary.maximumRecoverableAgeSeconds, sample.recoverablePointAgeSeconds)
            summary.minimumRecoverableAgeSeconds = EvidenceCompaction.minimum(summary.minimumRecoverableAgeSeconds, sample.recoverablePointAgeSeconds)
            summary.maximumBackupAgeSeconds = EvidenceCompaction.maximum(summary.maximumBackupAgeSeconds, sample.backupAgeSeconds)
            summary.maximumWALAgeSeconds = EvidenceCompaction.maximum(summary.maximumWALAgeSeconds, sample.walAgeSeconds)
            summary.maximumOffSiteAgeSeconds = EvidenceCompaction.maximum(summary.maximumOffSiteAgeSeconds, sample.offSiteAgeSeconds)
            if let size = sample.databaseSizeBytes { summary.databaseSizeBytes = size }
            if summary.lastSampleAt.map({ at >= $0 }) ?? true {
                summary.lastSampleAt = at
                summary.lastSampleReachable = sample.reachable
            }
            summaries[key] = summary
        }

        /// The state a sample shows counts until the next one (or its validity), split into hours.
        mutating func attribute(_ series: Series, from start: Date, reachable: Bool, until next: Date?, countingFrom first: Date? = nil) {
            var end = start.addingTimeInterval(validity)
            if let next, next < end { end = next }
            end = min(end, boundary)
            var cursor = max(start, first ?? start)
            while cursor < end {
                let hour = EvidenceCompaction.hourStart(cursor)
                let hourEnd = hour.addingTimeInterval(3600)
                let piece = min(end, hourEnd).timeIntervalSince(cursor)
                let key = HourKey(series: series, start: hour)
                // Time in an hour without a sample of its own has no summary to go to: unknown.
                if summaries[key] != nil || existing[key] != nil {
                    var summary = summaries[key] ?? existing[key]!
                    if reachable { summary.upSeconds += piece } else { summary.downSeconds += piece }
                    if summaries[key] != nil { summaries[key] = summary } else { existing[key] = summary }
                }
                cursor = min(end, hourEnd)
            }
        }
    }

    /// Existing summaries merged with new samples are replaced in place; the rest go where
    /// the first compacted sample was, oldest first.
    private func place(_ lines: [Line], summaries: [HourKey: StatusSummary], existing: [HourKey: StatusSummary]) -> [Line] {
        var output: [Line] = []
        var placed = false
        var merged = Set<HourKey>()
        for line in lines {
            guard case .record(let record) = line else {
                output.append(line)
                continue
            }
            if compacts(record) {
                if !placed {
                    placed = true
                    let fresh = summaries.filter { !merged.contains($0.key) }.sorted { ($0.key.start, $0.key.series.host, $0.key.series.database) < ($1.key.start, $1.key.series.host, $1.key.series.database) }
                    for (key, summary) in fresh {
                        merged.insert(key)
                        output.append(.record(EvidenceRecord(at: key.start, host: key.series.host, database: key.series.database, summary: summary)))
                    }
                }
                continue
            }
            if record.kind == .statusSummary, let summary = record.summary {
                let key = HourKey(series: Series(host: record.host, database: record.database), start: summary.start)
                if let updated = summaries[key] {
                    if !merged.contains(key) {
                        merged.insert(key)
                        output.append(.record(EvidenceRecord(at: record.at, host: record.host, database: record.database, summary: updated)))
                    }
                    continue
                }
                if let updated = existing[key], updated != summary {
                    // Only its up/down time grew (a previous sample's time reached into it).
                    output.append(.record(EvidenceRecord(at: record.at, host: record.host, database: record.database, summary: updated)))
                    continue
                }
            }
            output.append(line)
        }
        return output
    }

    private static func maximum(_ a: Double?, _ b: Double?) -> Double? {
        guard let b else { return a }
        return a.map { max($0, b) } ?? b
    }

    private static func minimum(_ a: Double?, _ b: Double?) -> Double? {
        guard let b else { return a }
        return a.map { min($0, b) } ?? b
    }
}
