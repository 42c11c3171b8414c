import Foundation
import PRACore

/// Everything the report knows from production over its period, database by database: what the
/// report leads with, before the drills. Built from ``EvidenceInput`` records inside the period
/// (`--since` to the report's time; all records up to now without `--since`).
public struct ProductionEvidence: Sendable, Encodable {
    /// The evidence files read.
    public var files: [String]
    /// Damaged lines and unreadable files.
    public var notices: [String]
    /// The period judged: `--since` (or the oldest record) to the report's time.
    public var periodStart: Date?
    public var periodEnd: Date
    public var rpoTargetSeconds: Double
    public var rtoTargetSeconds: Double
    public var slaTargetPercent: Double
    public var restoreTestMaximumAgeSeconds: Double
    /// One per host and database, sorted by host then database.
    public var databases: [DatabaseEvidence]
    /// Why there is none, when there is none: the AT RISK reason.
    public var absenceReason: String?

    /// True when no record of any database falls in the period.
    public var isEmpty: Bool { databases.isEmpty }

    init(_ input: EvidenceInput, since: Date?, now: Date, targets: DatabaseEvidence.Targets) {
        files = input.files
        notices = input.notices
        periodEnd = now
        rpoTargetSeconds = targets.rpoSeconds
        rtoTargetSeconds = targets.rtoSeconds
        slaTargetPercent = targets.slaPercent
        restoreTestMaximumAgeSeconds = targets.restoreTestMaximumAgeSeconds
        let inPeriod = input.records.filter { record in
            let at = record.summary?.start ?? record.at
            return at <= now && (since.map { at >= $0 } ?? true)
        }
        let start = since ?? inPeriod.map { $0.summary?.start ?? $0.at }.min()
        periodStart = start
        let groups = Dictionary(grouping: inPeriod) { "\($0.host)\u{0}\($0.database)" }
        databases = groups.values.map { records in
            DatabaseEvidence(host: records[0].host, database: records[0].database, records: records, start: start ?? now, end: now, targets: targets)
        }.sorted { ($0.host, $0.database) < ($1.host, $1.database) }
        // Names that differ only in punctuation would share an anchor: number the later ones.
        var seen: Set<String> = []
        for index in databases.indices {
            var anchor = databases[index].anchor, suffix = 2
            while seen.contains(anchor) {
                anchor = databases[index].anchor + "-\(suffix)"
                suffix += 1
            }
            seen.insert(anchor)
            databases[index].anchor = anchor
        }
        if databases.isEmpty {
            let why: String
            if let absence = input.absence {
                why = absence
            } else if input.files.isEmpty {
                why = "no evidence file was given"
            } else if input.records.isEmpty {
                why = "\(input.files.joined(separator: ", ")) \(input.files.count == 1 ? "holds" : "hold") no usable record"
            } else {
                why = "no record of \(input.files.joined(separator: ", ")) falls in the period\(since.map { " (since \(ComplianceFormat.day($0)))" } ?? "")"
            }
            absenceReason = "No production evidence (\(why)): the verdict rests on drills alone. Record it with `pra status` every 5 minutes and a weekly `pra restore --latest` test (EVIDENCE_FILE), then pass the files with --evidence."
        }
    }
}
