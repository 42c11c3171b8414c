import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The evidence log's compaction: old status samples become hourly summaries that keep
/// availability and the worst ages exact at hourly resolution; restore records, foreign and
/// damaged lines stay as they are.
@Suite("EvidenceCompaction: a year of samples in hourly summaries")
struct EvidenceCompactionTests {
    static let start = 1_767_225_600.0  // 2026-01-01T00:00:00Z, an hour boundary
    static let validity = EvidenceLog.sampleValiditySeconds

    /// A year of 5-minute samples of one database: a 40-minute outage on day 100, a 2-hour gap in
    /// sampling on day 200, backups every hour (the age climbs from 0 to 3600) except a 5-hour
    /// gap on day 150, WAL 30 s old, the archiver failing for an hour on day 250.
    static func year() -> [EvidenceRecord] {
        var records: [EvidenceRecord] = []
        let outage = start + 100 * 86400 + 10 * 3600 + 20 * 60
        let samplingGap = start + 200 * 86400 + 3 * 3600
        let backupGap = start + 150 * 86400
        let archiverFailing = start + 250 * 86400 + 7 * 3600
        var t = start
        while t < start + 365 * 86400 {
            defer { t += 300 }
            if t >= samplingGap && t < samplingGap + 7200 { continue }
            let down = t >= outage && t < outage + 2400
            var backupAge = t.truncatingRemainder(dividingBy: 3600)
            if t >= backupGap && t < backupGap + 5 * 3600 { backupAge = t - backupGap + 3600 }
            let failing = t >= archiverFailing && t < archiverFailing + 3600
            records.append(EvidenceRecord(at: Date(timeIntervalSince1970: t), host: "db1", database: "akig", status: StatusSample(
                reachable: !down, level: down ? .critical : .ok, backupAgeSeconds: backupAge, walAgeSeconds: down ? nil : 30,
                offSiteAgeSeconds: 45, archiverFailing: failing, databaseSizeBytes: 1_000_000 + Int64(t - start))))
        }
        return records
    }

    /// Up and down seconds per hour straight from the samples (each counts until the next one,
    /// at most the validity), and the worst recoverable age per hour.
    static func reference(_ samples: [EvidenceRecord], before boundary: Double) -> (up: [Double: Double], down: [Double: Double], worst: [Double: Double]) {
        var up: [Double: Double] = [:], down: [Double: Double] = [:], worst: [Double: Double] = [:]
        let sampled = Set(samples.map { ($0.at.timeIntervalSince1970 / 3600).rounded(.down) * 3600 })
        for (index, record) in samples.enumerated() {
            let t = record.at.timeIntervalSince1970
            guard t < boundary, let sample = record.status else { continue }
            let hour = (t / 3600).rounded(.down) * 3600
            worst[hour] = max(worst[hour] ?? 0, sample.recoverablePointAgeSeconds ?? 0)
            var end = t + validity
            if index + 1 < samples.count { end = min(end, samples[index + 1].at.timeIntervalSince1970) }
            end = min(end, boundary)
            var cursor = t
            while cursor < end {
                let h = (cursor / 3600).rounded(.down) * 3600
                let piece = min(end, h + 3600) - cursor
                // Only hours that hold a sample have a summary to count in.
                if sampled.contains(h) {
                    if sample.reachable { up[h, default: 0] += piece } else { down[h, default: 0] += piece }
                }
                cursor = min(end, h + 3600)
            }
        }
        return (up, down, worst)
    }

    static func summaries(_ lines: [EvidenceCompaction.Line]) -> [StatusSummary] {
        lines.compactMap { if case .record(let record) = $0 { return record.summary } else { return nil } }
    }

    @Test("a year of 5-minute samples compacts to one line per hour (8,760 + the restores); availability, outage and worst age exact per hour")
    func yearCompacts() throws {
        let samples = Self.year()
        #expect(samples.count == 365 * 288 - 24)
        let restore = EvidenceRecord(at: Date(timeIntervalSince1970: Self.start + 5 * 86400), host: "db1", database: "akig", restore: RestoreEvidence(
            method: .logical, source: .local, target: "akig_restore", backup: "akig_backup_full_x.sql.gz", recoveryPoint: nil, recoveryPointAgeSeconds: 1200,
            sizeBytes: 9, seconds: 12, phases: [], checks: [], succeeded: true, failure: nil))
        var lines = samples.map { EvidenceCompaction.Line.record($0) }
        lines.insert(.record(restore), at: 5 * 288)
        let end = Date(timeIntervalSince1970: Self.start + 365 * 86400)
        let output = EvidenceCompaction(before: end).compact(lines)
        let summaries = Self.summaries(output)
        // 8,760 hours, less the 2 hours without any sample.
        #expect(summaries.count == 8760 - 2)
        #expect(output.count == summaries.count + 1)
        #expect(output.contains(.record(restore)), "the restore record is kept")
        #expect(summaries.map(\.samples).reduce(0, +) == samples.count)

        let reference = Self.reference(samples, before: end.timeIntervalSince1970)
        for summary in summaries {
            let hour = summary.start.timeIntervalSince1970
            #expect(abs(summary.upSeconds - (reference.up[hour] ?? 0)) < 1e-6, "up in \(summary.start)")
            #expect(abs(summary.downSeconds - (reference.down[hour] ?? 0)) < 1e-6, "down in \(summary.start)")
            #expect(summary.maximumRecoverableAgeSeconds == reference.worst[hour], "worst age in \(summary.start)")
        }
        let totalDown = summaries.map(\.downSeconds).reduce(0, +)
        #expect(totalDown == 2400, "the 40-minute outage, exactly")
        let totalUp = summaries.map(\.upSeconds).reduce(0, +)
        // Everything else is up but the sampling gap: its 2 hours hold no sample, so no summary,
        // and are unknown (also the part of them the last sample before the gap stands for).
        #expect(totalUp == 365 * 86400 - 2400 - 7200)
        #expect(summaries.map(\.unreachableSamples).reduce(0, +) == 8)
        #expect(summaries.map(\.archiverFailingSamples).reduce(0, +) == 12)
        #expect(summaries.compactMap(\.maximumBackupAgeSeconds).max() == 21300, "the backup gap's worst age: \(String(format: "%.9f", summaries.compactMap(\.maximumBackupAgeSeconds).max() ?? 0))")
        #expect(summaries.last?.databaseSizeBytes == samples.last?.status?.databaseSizeBytes)
        // Lines, as written: about 8,800 for the year, a few MB at most.
        let bytes = try output.reduce(0) { total, line in
            guard case .record(let record) = line else { return total }
            return total + (try JSONCoding.compactEncoder.encode(record)).count + 1
        }
        #expect(bytes < 5_000_000, "\(bytes) bytes")
    }

    @Test("compacting day by day (as pra status does) gives the same summaries as compacting once: a sample's time that runs into the next hour is carried over")
    func incrementalMatchesOneShot() {
        let samples = Array(Self.year().prefix(30 * 288))
        // Samples every 7 minutes too, so that intervals straddle hour boundaries.
        let odd = stride(from: Self.start + 30 * 86400, to: Self.start + 33 * 86400, by: 420.0).map { t in
            EvidenceRecord(at: Date(timeIntervalSince1970: t), host: "db1", database: "akig", status: StatusSample(
                reachable: Int(t / 420) % 9 != 0, level: .ok, backupAgeSeconds: 100, walAgeSeconds: nil, offSiteAgeSeconds: nil, archiverFailing: nil, databaseSizeBytes: nil))
        }
        let all = (samples + odd).map { EvidenceCompaction.Line.record($0) }
        let end = Date(timeIntervalSince1970: Self.start + 33 * 86400)
        let once = Self.summaries(EvidenceCompaction(before: end).compact(all))
        var lines = all
        var day = Self.start + 86400 + 1234
        while day <= end.timeIntervalSince1970 {
            lines = EvidenceCompaction(before: Date(timeIntervalSince1970: day)).compact(lines)
            day += 86400 - 600
        }
        lines = EvidenceCompaction(before: end).compact(lines)
        let stepwise = Self.summaries(lines)
        #expect(stepwise.count == once.count)
        #expect(lines.count == once.count, "no raw sample left before the boundary")
        for (a, b) in zip(stepwise, once) {
            #expect(a.start == b.start)
            #expect(abs(a.upSeconds - b.upSeconds) < 1e-6 && abs(a.downSeconds - b.downSeconds) < 1e-6, "\(a.start): \(a.upSeconds)/\(a.downSeconds) vs \(b.upSeconds)/\(b.downSeconds)")
            #expect(a.samples == b.samples && a.maximumRecoverableAgeSeconds == b.maximumRecoverableAgeSeconds)
        }
    }

    @Test("only samples before the hour boundary are compacted; databases kept apart; damaged and newer-version lines kept byte for byte, in place")
    func keepsWhatItCannotRead() throws {
        func sample(_ offset: Double, _ database: String, reachable: Bool = true) -> EvidenceRecord {
            EvidenceRecord(at: Date(timeIntervalSince1970: Self.start + offset), host: "db1", database: database, status: StatusSample(
                reachable: reachable, level: .ok, backupAgeSeconds: offset, walAgeSeconds: nil, offSiteAgeSeconds: nil, archiverFailing: false, databaseSizeBytes: 5))
        }
        let damaged = Data("{\"schemaVersion\":1,\"kind\":\"sta".utf8)
        let newer = Data("{\"schemaVersion\":2,\"kind\":\"status\",\"at\":\"2026-01-01T00:00:00Z\"}".utf8)
        let lines: [EvidenceCompaction.Line] = [
            .record(sample(0, "a")), .opaque(damaged), .record(sample(60, "b", reachable: false)), .record(sample(600, "a")),
            .opaque(newer), .record(sample(3599, "a")), .record(sample(3601, "a")), .record(sample(7300, "a")),
        ]
        // 01:30: the 00:00 hour is compacted, the 01:00 one is not.
        let output = EvidenceCompaction(before: Date(timeIntervalSince1970: Self.start + 5400)).compact(lines)
        #expect(output.count == 6, "\(output)")
        guard case .record(let first) = output[0], let a = first.summary, first.database == "a",
              case .record(let second) = output[1], let b = second.summary, second.database == "b" else {
            Issue.record("summaries first, per database: \(output)")
            return
        }
        #expect(output[2] == .opaque(damaged) && output[3] == .opaque(newer))
        #expect(output[4] == .record(sample(3601, "a")) && output[5] == .record(sample(7300, "a")))
        #expect(a.samples == 3 && a.upSeconds == 600 + 900 + 1, "00:00 to 00:10, then the validity, then the last second to the boundary: \(a)")
        #expect(a.lastSampleAt == Date(timeIntervalSince1970: Self.start + 3599) && a.lastSampleReachable == true)
        #expect(b.samples == 1 && b.unreachableSamples == 1 && b.downSeconds == Self.validity && b.upSeconds == 0)
        #expect(a.maximumRecoverableAgeSeconds == 3599 && a.minimumRecoverableAgeSeconds == 0)
        // Nothing before the boundary left: compacting again changes nothing.
        #expect(EvidenceCompaction(before: Date(timeIntervalSince1970: Self.start + 5400)).compact(output) == output)
    }
}
