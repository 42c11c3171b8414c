import Foundation

/// The production-evidence part of the Markdown report (after the verdict, before the drills):
/// the fleet table linking to each database's section, then per database its RPO exposure
/// windows, restore tests and availability — the HTML's content without the charts.
struct EvidenceMarkdownSections {
    let report: ComplianceReport

    var lines: [String] {
        let evidence = report.evidence
        var lines = ["## Production evidence", ""]
        guard !evidence.isEmpty else {
            lines.append("**⚠ \(escape(evidence.absenceReason ?? "No production evidence."))**")
            lines.append("")
            lines += evidence.notices.map { "- **NOTE:** \(escape($0))" }
            if !evidence.notices.isEmpty { lines.append("") }
            return lines
        }
        lines.append(escape(EvidenceHTMLSections(report: report).periodSentence))
        lines.append("")
        lines.append("| Database | Verdict | RPO exposure | Last restore test | Availability |")
        lines.append("|---|---|---|---|---|")
        for row in report.fleet {
            let mark = row.verdict == .compliant ? "✓" : (row.verdict == .atRisk ? "⚠" : "✗")
            lines.append("| [\(escape(row.label))](#\(row.anchor)) | **\(mark) \(row.verdict.rawValue)** | \(escape(row.rpoExposure)) | \(escape(row.lastRestoreTest)) | \(escape(row.availability)) |")
        }
        lines.append("")
        lines += evidence.notices.map { "- **NOTE:** \(escape($0))" }
        if !evidence.notices.isEmpty { lines.append("") }
        for database in evidence.databases {
            lines.append("<a id=\"\(database.anchor)\"></a>")
            lines.append("")
            lines.append("### \(escape(database.label))")
            lines.append("")
            for reason in database.failingReasons { lines.append("- **✗ \(escape(reason))**") }
            for reason in database.atRiskReasons { lines.append("- **⚠ \(escape(reason))**") }
            if let exposure = database.rpoExposure {
                lines.append("- RPO exposure: \(escape(EvidenceSentences.exposure(exposure)))")
            } else {
                lines.append("- RPO exposure: not measured (no status sample in the period).")
            }
            lines.append("- \(escape(database.restoreTests.lastSentence))")
            if let trend = database.restoreTests.trend { lines.append("- \(escape(trend))") }
            lines.append("- " + (database.availability.map { escape($0.sentence) } ?? "Availability: not measured (no status sample in the period)."))
            lines.append("")
            if let exposure = database.rpoExposure, !exposure.windows.isEmpty {
                lines.append("| Over the RPO target from | to | Duration | Worst age | Cause |")
                lines.append("|---|---|---|---|---|")
                for window in exposure.windows {
                    let end = ComplianceFormat.dateTime(window.end) + (window.ongoing ? " (still over)" : "") + (window.endsInSamplingGap ? " (samples stopped)" : "")
                    lines.append("| \(ComplianceFormat.dateTime(window.start)) | \(end) | \(ComplianceFormat.duration(window.seconds)) | \(ComplianceFormat.duration(window.worstAgeSeconds)) | \(escape(window.causes.map(\.rawValue).joined(separator: "; ") + (window.hourly ? " (hourly summary)" : ""))) |")
                }
                lines.append("")
            }
            let tests = database.restoreTests.tests
            if !tests.isEmpty {
                lines.append("| Restore test | Method | Backup | Size | RTO / target | Phases | Outcome |")
                lines.append("|---|---|---|---|---|---|---|")
                for test in tests.reversed() {
                    let outcome = test.succeeded ? "✓ restored and checked" : "✗ failed" + (test.failure.map { ": \($0)" } ?? "")
                    lines.append("| \(ComplianceFormat.dateTime(test.at)) | \(escape("\(test.method), \(test.source)")) | \(escape(test.backup ?? "–")) | \(test.sizeBytes.map { ComplianceFormat.bytes(Double($0)) } ?? "–") | \(ComplianceFormat.duration(test.seconds)) / \(ComplianceFormat.duration(database.restoreTests.rtoTargetSeconds))\(test.withinRTOTarget ? "" : " ✗ over") | \(escape(RestoreTestEvidence.phasesText(test))) | \(escape(outcome)) |")
                }
                lines.append("")
            }
            if let availability = database.availability, !availability.outages.isEmpty {
                lines.append("| Outage from | to | Down |")
                lines.append("|---|---|---|")
                for outage in availability.outages {
                    lines.append("| \(ComplianceFormat.dateTime(outage.start)) | \(ComplianceFormat.dateTime(outage.end))\(outage.hourly ? " (hourly summary)" : "") | \(ComplianceFormat.duration(outage.downSeconds)) |")
                }
                lines.append("")
            }
        }
        return lines
    }

    private func escape(_ text: String) -> String { ComplianceMarkdownRenderer.escape(text) }
}

/// The evidence in a few terminal lines: one per database with its verdict and figures.
enum EvidenceTerminalSummary {
    static func lines(_ report: ComplianceReport) -> [String] {
        guard !report.evidence.isEmpty else { return [] }
        var lines = ["  production evidence: \(ComplianceFormat.count(report.fleet.count, "database")) from \(report.evidence.periodStart.map(ComplianceFormat.dateTime) ?? "–") to \(ComplianceFormat.dateTime(report.evidence.periodEnd))"]
        for row in report.fleet {
            lines.append("    \(row.label): \(row.verdict.rawValue) — RPO exposure \(row.rpoExposure); last restore test \(row.lastRestoreTest); availability \(row.availability)")
        }
        return lines
    }
}
