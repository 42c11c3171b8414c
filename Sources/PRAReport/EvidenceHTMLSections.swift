import Foundation
import PRACore

/// The production-evidence part of the HTML report, which leads the page after the verdict: the
/// fleet table (one row per database, linking to its section), then per database its RPO
/// exposure (chart and windows), real restore tests and availability (chart, outages, gaps).
/// Every text from the evidence is escaped with ``HTMLEscaping``.
struct EvidenceHTMLSections {
    let report: ComplianceReport

    var html: String {
        let evidence = report.evidence
        var out = "<section aria-labelledby=\"evidence-title\">\n<h2 id=\"evidence-title\">Production evidence</h2>\n"
        guard !evidence.isEmpty else {
            out += "<p class=\"sentence bad\"><span class=\"mark\">⚠</span> \(e(evidence.absenceReason ?? "No production evidence."))</p>\n"
            return out + noticesList(evidence.notices) + "</section>\n"
        }
        out += "<p>\(e(periodSentence))</p>\n"
        out += "<table class=\"fleet\">\n<caption>Databases: verdict and evidence over the period</caption>\n<thead><tr><th scope=\"col\">Database</th><th scope=\"col\">Verdict</th><th scope=\"col\">RPO exposure</th><th scope=\"col\">Last restore test</th><th scope=\"col\">Availability</th></tr></thead>\n<tbody>\n"
        for row in report.fleet {
            let mark = row.verdict == .compliant ? "✓" : (row.verdict == .atRisk ? "⚠" : "✗")
            out += "<tr><th scope=\"row\"><a href=\"#\(HTMLEscaping.attribute(row.anchor))\">\(e(row.label))</a></th><td><strong>\(mark) \(e(row.verdict.rawValue))</strong></td><td>\(e(row.rpoExposure))</td><td>\(e(row.lastRestoreTest))</td><td>\(e(row.availability))</td></tr>\n"
        }
        out += "</tbody>\n</table>\n"
        out += noticesList(evidence.notices)
        for database in evidence.databases {
            out += section(database)
        }
        return out + "</section>\n"
    }

    var periodSentence: String {
        let evidence = report.evidence
        let from = evidence.periodStart.map(ComplianceFormat.dateTime) ?? "–"
        return "From \(from) to \(ComplianceFormat.dateTime(evidence.periodEnd)), read from \(evidence.files.joined(separator: ", ")). Targets: RPO \(ComplianceFormat.duration(evidence.rpoTargetSeconds)), RTO \(ComplianceFormat.duration(evidence.rtoTargetSeconds)), availability \(Availability.percent(evidence.slaTargetPercent)) (SLA_TARGET), a restore test every \(Int((evidence.restoreTestMaximumAgeSeconds / 86400).rounded())) days."
    }

    private func section(_ database: DatabaseEvidence) -> String {
        let id = database.anchor
        var out = "<section id=\"\(HTMLEscaping.attribute(id))\" aria-labelledby=\"\(HTMLEscaping.attribute(id))-title\">\n<h3 id=\"\(HTMLEscaping.attribute(id))-title\">\(e(database.label))</h3>\n"
        out += "<p>\(database.statusSamples) status samples\(database.statusSummaries > 0 ? " and \(database.statusSummaries) hourly summaries" : ""), \(ComplianceFormat.count(database.restoreTests.tests.count, "restore test")).</p>\n"
        for reason in database.failingReasons {
            out += "<p class=\"sentence bad\"><span class=\"mark\">✗</span> \(e(reason))</p>\n"
        }
        for reason in database.atRiskReasons {
            out += "<p class=\"sentence bad\"><span class=\"mark\">⚠</span> \(e(reason))</p>\n"
        }
        out += exposure(database)
        out += restoreTests(database)
        out += availability(database)
        return out + "</section>\n"
    }

    private func exposure(_ database: DatabaseEvidence) -> String {
        var out = "<h4>RPO exposure over the period</h4>\n"
        guard let exposure = database.rpoExposure else {
            return out + "<p class=\"none\">Not measured: no status sample in the period.</p>\n"
        }
        out += "<p class=\"sentence \(exposure.windows.isEmpty ? "ok" : "bad")\"><span class=\"mark\">\(exposure.windows.isEmpty ? "✓" : "✗")</span> \(e(EvidenceSentences.exposure(exposure)))</p>\n"
        let slices = exposure.chart.map { EvidenceCharts.AgeSlice(start: $0.start, end: $0.end, age: $0.worstAgeSeconds) }
        if !slices.isEmpty, let start = report.evidence.periodStart {
            let windows = exposure.windows.map { (start: $0.start, end: $0.end, label: "\(ComplianceFormat.duration($0.seconds)) over, \(ComplianceFormat.day($0.start))") }
            let svg = EvidenceCharts.exposure(id: "chart-exposure-\(database.anchor)", title: "Age of the newest recoverable point of \(database.label) over the period, against the RPO target", slices: slices, windows: windows, target: exposure.targetSeconds, start: start, end: report.evidence.periodEnd)
            out += "<figure>\n\(svg)\n<figcaption>\(e("How much data a disaster at each moment would have lost: the worst age of the newest recoverable point per slice of the period; windows over the \(ComplianceFormat.duration(exposure.targetSeconds)) target hatched, time without a status sample grey."))</figcaption>\n</figure>\n"
        }
        if !exposure.windows.isEmpty {
            out += "<table class=\"windows\">\n<caption>Windows over the RPO target</caption>\n<thead><tr><th scope=\"col\">Start</th><th scope=\"col\">End</th><th scope=\"col\">Duration</th><th scope=\"col\">Worst age</th><th scope=\"col\">Cause</th></tr></thead>\n<tbody>\n"
            for window in exposure.windows {
                var end = ComplianceFormat.dateTime(window.end)
                if window.ongoing { end += " (still over)" }
                if window.endsInSamplingGap { end += " (samples stopped)" }
                out += "<tr><th scope=\"row\">\(e(ComplianceFormat.dateTime(window.start)))</th><td>\(e(end))</td><td class=\"over\">\(e(ComplianceFormat.duration(window.seconds)))</td><td>\(e(ComplianceFormat.duration(window.worstAgeSeconds)))</td><td>\(e(window.causes.map(\.rawValue).joined(separator: "; ") + (window.hourly ? " (hourly summary)" : "")))</td></tr>\n"
            }
            out += "</tbody>\n</table>\n"
        }
        return out
    }

    private func restoreTests(_ database: DatabaseEvidence) -> String {
        let tests = database.restoreTests
        var out = "<h4>Real restore tests</h4>\n"
        let good = tests.last.map { $0.succeeded && $0.withinRTOTarget } ?? false
        out += "<p class=\"sentence \(good && tests.lastWithinWindow ? "ok" : "bad")\"><span class=\"mark\">\(good ? (tests.lastWithinWindow ? "✓" : "⚠") : (tests.last == nil ? "⚠" : "✗"))</span> \(e(tests.lastSentence))</p>\n"
        if let trend = tests.trend { out += "<p>\(e(trend))</p>\n" }
        guard !tests.tests.isEmpty else { return out }
        if let last = tests.last, !last.phases.isEmpty {
            out += "<table class=\"phases\">\n<caption>\(e("Phases of the last restore test: RTO \(ComplianceFormat.duration(last.seconds)) against \(ComplianceFormat.duration(tests.rtoTargetSeconds))"))</caption>\n<thead><tr><th scope=\"col\">Phase</th><th scope=\"col\">Time</th><th scope=\"col\">Share</th></tr></thead>\n<tbody>\n"
            for phase in last.phases {
                let share = last.seconds > 0 ? phase.seconds / last.seconds : nil
                out += "<tr><td>\(e(phase.name))</td><td>\(e(ComplianceFormat.duration(phase.seconds)))</td><td>\(e(ComplianceFormat.percent(share)))</td></tr>\n"
            }
            out += "</tbody>\n</table>\n"
        }
        out += "<table class=\"restore-tests\">\n<caption>Restore tests in the period, newest first</caption>\n<thead><tr><th scope=\"col\">Date</th><th scope=\"col\">Method</th><th scope=\"col\">Backup</th><th scope=\"col\">Size</th><th scope=\"col\">RTO / target</th><th scope=\"col\">Outcome</th></tr></thead>\n<tbody>\n"
        for test in tests.tests.reversed() {
            let outcome = test.succeeded ? "✓ restored and checked" : "✗ failed" + (test.failure.map { ": \($0)" } ?? "")
            let rto = "\(ComplianceFormat.duration(test.seconds)) / \(ComplianceFormat.duration(tests.rtoTargetSeconds))" + (test.withinRTOTarget ? "" : " ✗ over")
            out += "<tr><th scope=\"row\">\(e(ComplianceFormat.dateTime(test.at)))</th><td>\(e("\(test.method), \(test.source)"))</td><td>\(e(test.backup ?? "–"))</td><td>\(e(test.sizeBytes.map { ComplianceFormat.bytes(Double($0)) } ?? "–"))</td><td>\(e(rto))</td><td>\(e(outcome))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    private func availability(_ database: DatabaseEvidence) -> String {
        var out = "<h4>Availability</h4>\n"
        guard let availability = database.availability else {
            return out + "<p class=\"none\">Not measured: no status sample in the period.</p>\n"
        }
        out += "<p class=\"sentence \(availability.status == .met ? "ok" : "bad")\"><span class=\"mark\">\(availability.status == .met ? "✓" : (availability.status == .missed ? "✗" : "⚠"))</span> \(e(availability.sentence))</p>\n"
        let slices = availability.timeline.map { segment in
            EvidenceCharts.StateSlice(start: segment.start, end: segment.end, state: segment.state == "up" ? .up : (segment.state == "down" ? .down : .unknown))
        }
        let svg = EvidenceCharts.availability(id: "chart-availability-\(database.anchor)", title: "Availability of \(database.label), day by day", slices: slices, start: availability.periodStart, end: availability.periodEnd)
        out += "<figure>\n\(svg)\n<figcaption>\(e("One strip per day (UTC): up, down (hatched, with the day's downtime at the right) and time without a status sample (grey: unknown, never counted as up)."))</figcaption>\n</figure>\n"
        if !availability.outages.isEmpty {
            out += "<table class=\"outages\">\n<caption>Outages (database unreachable)</caption>\n<thead><tr><th scope=\"col\">Start</th><th scope=\"col\">End</th><th scope=\"col\">Down</th></tr></thead>\n<tbody>\n"
            for outage in availability.outages {
                out += "<tr><th scope=\"row\">\(e(ComplianceFormat.dateTime(outage.start)))</th><td>\(e(ComplianceFormat.dateTime(outage.end)))\(outage.hourly ? " (hourly summary)" : "")</td><td>\(e(ComplianceFormat.duration(outage.downSeconds)))</td></tr>\n"
            }
            out += "</tbody>\n</table>\n"
        }
        return out
    }

    private func noticesList(_ notices: [String]) -> String {
        guard !notices.isEmpty else { return "" }
        return "<ul class=\"findings\">\n" + notices.map { "<li class=\"notice\"><strong>NOTE:</strong> \(e($0))</li>\n" }.joined() + "</ul>\n"
    }

    private func e(_ text: String) -> String { HTMLEscaping.text(text) }
}

/// Sentences shared by the HTML, Markdown and terminal renderings of the evidence.
enum EvidenceSentences {
    /// "Worst recoverable-point age 2h55m00s (2026-11-03 12:55 UTC); 98% of 8640 samples within
    /// the 1h00m00s target; 2h00m00s over it in 1 window."
    static func exposure(_ exposure: RPOExposure) -> String {
        var text = "Worst recoverable-point age \(exposure.worstAgeSeconds.map(ComplianceFormat.duration) ?? "unknown")"
        if let at = exposure.worstAt { text += " (\(ComplianceFormat.dateTime(at)))" }
        text += "; \(shareText(exposure)) of \(ComplianceFormat.count(exposure.samplesWithAge, "sample")) within the \(ComplianceFormat.duration(exposure.targetSeconds)) RPO target"
        text += exposure.windows.isEmpty ? "; never over it." : "; over it for \(ComplianceFormat.duration(exposure.secondsOverTarget)) in \(ComplianceFormat.count(exposure.windows.count, "window"))."
        return text
    }

    /// "99.1%": one decimal, so a few bad samples in thousands still show.
    static func shareText(_ exposure: RPOExposure) -> String {
        guard let share = exposure.shareWithinTarget else { return "–" }
        return String(format: "%.1f%%", share * 100)
    }
}
