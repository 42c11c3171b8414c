import Foundation
import PRACore

/// The production evidence of one database (one `host` and `database` of the evidence log) over
/// the report period: RPO exposure, real restore tests, availability, and what they mean for
/// the verdict.
///
/// Evidence rules (see docs/reports.md): NOT COMPLIANT when the recoverable point was older
/// than `RPO_TARGET` at any time in the period, when the newest restore test failed or took
/// longer than `RTO_TARGET`, or when availability over the known time is under `SLA_TARGET`;
/// AT RISK when no restore test ran in the weekly window, when there is no status sample in the
/// period, or when the time without samples could hide an SLA miss.
public struct DatabaseEvidence: Sendable, Encodable {
    public var host: String
    public var database: String
    /// `akig on db1`.
    public var label: String
    /// The HTML/Markdown anchor of its section: `evidence-db1-akig`.
    public var anchor: String
    public var statusSamples: Int
    public var statusSummaries: Int
    /// `nil` without any status sample or summary in the period.
    public var rpoExposure: RPOExposure?
    public var availability: Availability?
    public var restoreTests: RestoreTestEvidence
    /// What makes the plan not compliant for this database, one sentence each.
    public var failingReasons: [String]
    /// What puts it at risk.
    public var atRiskReasons: [String]
    /// Worth knowing (time without samples).
    public var notices: [String]
    /// The verdict from this database's evidence alone (the drills' findings are added in the
    /// fleet table).
    public var evidenceVerdict: ComplianceReport.Headline

    /// Settings the evidence is judged with.
    struct Targets {
        var rpoSeconds: Double
        var rtoSeconds: Double
        var slaPercent: Double
        var restoreTestMaximumAgeSeconds: Double
    }

    init(host: String, database: String, records: [EvidenceRecord], start: Date, end: Date, targets: Targets) {
        self.host = host
        self.database = database
        label = "\(database) on \(host)"
        anchor = Self.anchor(host: host, database: database)
        let samples = records.compactMap { record in record.status.map { StatusTimeline.Sample(at: record.at, status: $0) } }
        let summaries = records.compactMap(\.summary)
        let timeline = StatusTimeline(samples: samples, summaries: summaries, start: start, end: end)
        statusSamples = timeline.samples.count
        statusSummaries = timeline.summaries.count
        let hasStatus = !timeline.samples.isEmpty || !timeline.summaries.isEmpty
        rpoExposure = hasStatus ? RPOExposure(timeline: timeline, targetSeconds: targets.rpoSeconds) : nil
        availability = hasStatus ? Availability(timeline: timeline, targetPercent: targets.slaPercent) : nil
        restoreTests = RestoreTestEvidence(records: records.compactMap { record in record.restore.map { (record.at, $0) } }, rtoTargetSeconds: targets.rtoSeconds, maximumAgeSeconds: targets.restoreTestMaximumAgeSeconds, now: end)

        var failing: [String] = [], atRisk: [String] = [], notices: [String] = []
        let name = label
        if let exposure = rpoExposure, !exposure.windows.isEmpty {
            let shown = exposure.windows.prefix(3).map(\.sentence).joined(separator: "; ")
            let more = exposure.windows.count > 3 ? "; and \(exposure.windows.count - 3) more" : ""
            failing.append("RPO exposure of \(name): the newest recoverable point was older than the \(ComplianceFormat.duration(targets.rpoSeconds)) RPO target for \(ComplianceFormat.duration(exposure.secondsOverTarget)) in \(ComplianceFormat.count(exposure.windows.count, "window")) — \(shown)\(more).")
        }
        if let last = restoreTests.last {
            if !last.succeeded {
                failing.append("The latest restore test of \(name) (\(ComplianceFormat.dateTime(last.at))\(last.backup.map { ", backup \($0)" } ?? "")) failed\(last.failure.map { ": \($0)" } ?? "").")
            } else if !last.withinRTOTarget {
                failing.append("The latest restore test of \(name) (\(ComplianceFormat.dateTime(last.at))) took \(ComplianceFormat.duration(last.seconds)), over the \(ComplianceFormat.duration(targets.rtoSeconds)) RTO target.")
            }
        }
        if let availability, availability.status == .missed {
            failing.append("Availability of \(name): \(Availability.percent(availability.availabilityPercent)), under the \(Availability.percent(targets.slaPercent)) SLA (\(ComplianceFormat.duration(availability.downSeconds)) down; the SLA allows \(ComplianceFormat.duration(availability.allowedDownSeconds)) over the period).")
        }
        let windowDays = Int((targets.restoreTestMaximumAgeSeconds / 86400).rounded())
        if !restoreTests.lastWithinWindow {
            let last = restoreTests.last.map { "the last was on \(ComplianceFormat.day($0.at)), \(ComplianceFormat.ago(ComplianceFormat.days(from: $0.at, to: end)))" } ?? "none is recorded in the period"
            atRisk.append("No restore test of \(name) in the last \(windowDays) days (\(last)): the plan's weekly `pra restore --latest` into a scratch database proves the real backups restore at real size.")
        }
        if !hasStatus {
            atRisk.append("No status sample of \(name) in the period: RPO exposure and availability are not measured (run `pra status` every 5 minutes).")
        }
        if let availability, availability.status == .notProven {
            atRisk.append("Availability of \(name) not proven: \(ComplianceFormat.duration(availability.unknownSeconds)) of the period has no status sample; counting it as down gives \(Availability.percent(availability.lowerBoundPercent)), under the \(Availability.percent(targets.slaPercent)) SLA.")
        }
        if let availability, availability.unknownSeconds >= 1, availability.status != .notProven {
            let longest = availability.gaps.max { $0.seconds < $1.seconds }
            notices.append("\(name): \(ComplianceFormat.duration(availability.unknownSeconds)) of the period without a status sample (unknown, not counted as up)\(longest.map { "; the longest gap from \(ComplianceFormat.dateTime($0.start)) to \(ComplianceFormat.dateTime($0.end))" } ?? "").")
        }
        if let exposure = rpoExposure, exposure.samplesWithoutAge > 0 {
            notices.append("\(name): \(ComplianceFormat.count(exposure.samplesWithoutAge, "status sample")) without a backup or WAL age (no recoverable point known).")
        }
        failingReasons = failing
        atRiskReasons = atRisk
        self.notices = notices
        evidenceVerdict = !failing.isEmpty ? .notCompliant : (atRisk.isEmpty ? .compliant : .atRisk)
    }

    /// A stable HTML id: `evidence-` and the host and database with every other character a `-`.
    static func anchor(host: String, database: String) -> String {
        let text = (host + "-" + database).lowercased().unicodeScalars.map { scalar -> String in
            (scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_")) ? String(scalar) : "-"
        }.joined()
        return "evidence-" + text
    }
}
