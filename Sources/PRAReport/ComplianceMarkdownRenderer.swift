import Foundation
import PRADrillResults

/// Renders a ``ComplianceReport`` as Markdown (GitHub/GitLab flavour) for a wiki page or a
/// ticket: the same verdicts, findings, projections and tables as the HTML page, without the
/// charts. Text from the history is escaped (``escape(_:)``) so it cannot break a table or
/// turn into markup.
public struct ComplianceMarkdownRenderer: Sendable {
    /// The report to render.
    public let report: ComplianceReport

    /// A renderer for `report`.
    public init(report: ComplianceReport) {
        self.report = report
    }

    /// The whole document, ending with a newline: the body, then the glossary of the terms it uses.
    public var markdown: String {
        let body = bodyLines
        return (body + glossaryLines(ComplianceGlossary.entries(for: body.joined(separator: "\n")))).joined(separator: "\n")
    }

    /// The glossary lines every rendering carries: one for each technical term the report uses.
    public var glossary: [ComplianceGlossary.Entry] {
        ComplianceGlossary.entries(for: bodyLines.joined(separator: "\n"))
    }

    /// Everything but the glossary.
    private var bodyLines: [String] {
        [verdictLines, EvidenceMarkdownSections(report: report).lines, disasterClassLines(), projectionLines(), latestRunLines(), trendLines(), readingLines()].flatMap { $0 }
    }

    /// The title, what the report was made from, the configuration, the verdict and the findings.
    private var verdictLines: [String] {
        var lines: [String] = []
        let r = report
        lines.append("# Disaster-recovery compliance report")
        lines.append("")
        var meta = "Generated \(ComplianceFormat.dateTime(r.generatedAt)) by pra from `\(code(r.historyPath))`: \(ComplianceFormat.count(r.totalRunCount, "drill run")) recorded"
        if let since = r.since { meta += ", trend since \(ComplianceFormat.day(since)) (\(ComplianceFormat.count(r.trend.runs.count, "run")))" }
        meta += ". Latest run `\(code(r.latest.runID))` on \(escape(r.latest.host)), pra \(escape(r.latest.toolVersion)), \(ComplianceFormat.dateTime(r.latest.startedAt))\(r.latest.sharingNote)."
        lines.append(meta)
        lines.append("")
        lines += configurationLines()

        let mark = r.headline == .compliant ? "✓" : (r.headline == .atRisk ? "⚠" : "✗")
        lines.append("## Verdict: \(mark) \(r.headline.rawValue)")
        lines.append("")
        for reason in r.atRiskReasons where r.headline == .atRisk {
            lines.append("- **⚠ At risk: \(escape(reason))**")
        }
        for target in [r.rpo, r.rto] {
            lines.append("- **\(target.isCompliant ? "✓" : "✗") \(escape(target.sentence))**")
        }
        lines.append("- \(escape(r.lastDrillSentence))")
        if let comparison = r.trend.comparison { lines.append("- \(escape(comparison.sentence))") }
        lines.append("")
        if !r.findings.isEmpty {
            lines.append("### Findings")
            lines.append("")
            for finding in r.findings {
                lines.append("- **\(finding.severity.rawValue.uppercased()):** \(escape(finding.text))")
            }
            lines.append("")
        }
        return lines
    }

    /// The RPO of each disaster class, with what proves it.
    private func disasterClassLines() -> [String] {
        var lines: [String] = []
        let r = report
        lines.append("## RPO by disaster class")
        lines.append("")
        lines.append("| Disaster class | What survives | Worst-case RPO | Target | Verdict | Proven by |")
        lines.append("|---|---|---|---|---|---|")
        for row in r.rpoByDisasterClass {
            lines.append("| \(row.disasterClass.title) | \(escape(row.disasterClass.survivors)) | \(escape(row.worstCaseText)) | \(ComplianceFormat.duration(row.targetSeconds)) | \(row.isSatisfied ? "" : "**")\(escape(row.verdictText))\(row.isSatisfied ? "" : "**") | \(escape(row.provenByText)) |")
        }
        lines.append("")
        for row in r.rpoByDisasterClass {
            lines.append("- \(escape(row.sentence))")
        }
        lines.append("")
        return lines
    }

    /// The projections for production (not measured).
    private func projectionLines() -> [String] {
        var lines: [String] = []
        let r = report
        lines.append("## Projections for production (projection, not measured)")
        lines.append("")
        if let named = r.rtoProjection {
            lines.append("- \(escape(named.projection.rtoSentence)) (from \(escape(named.scenario)))")
        } else if let rate = r.scenarios.compactMap({ $0.projection?.inputs.restoreBytesPerSecond }).min() {
            lines.append("- Projected RTO: not computed — set PRODUCTION_DB_SIZE to project the measured restore throughput of \(ComplianceFormat.rate(rate)).")
        }
        if let named = r.rpoProjection {
            lines.append("- \(escape(named.projection.rpoSentence)) (from \(escape(named.scenario)))")
        }
        if r.rtoProjection == nil && r.rpoProjection == nil {
            lines.append("- No projection: the latest run recorded no backup or restore figures.")
        }
        lines.append("")
        return lines
    }

    /// The latest run, scenario by scenario, and the RTO phases.
    private func latestRunLines() -> [String] {
        var lines: [String] = []
        let r = report
        lines.append("## Latest drill, scenario by scenario")
        lines.append("")
        let point = r.latestPoint
        lines.append("Run `\(code(r.latest.runID))`, \(ComplianceFormat.dateTime(r.latest.startedAt)): \(point.passed) passed, \(point.failed) failed, \(point.skipped) skipped" + (point.isFull ? " — a full drill." : " — a partial run (missing: \(escape(point.missingScenarios.joined(separator: ", ")))).") )
        lines.append("")
        lines.append("| Scenario | Verdict | RTO measured / target | RPO measured / target | Projected RTO (projection) | Time | Why |")
        lines.append("|---|---|---|---|---|---|---|")
        for row in r.scenarios {
            var why = ""
            if let reason = row.skippedReason { why = "Skipped: " + escape(reason) }
            if row.verdict == .passed, let proves = row.proves { why = escape(proves) }
            if row.verdict == .failed {
                var items = row.failedChecks
                if let failure = row.failure, !items.contains(failure) { items.insert(failure, at: 0) }
                why = (items.isEmpty ? ["failed"] : items).map(escape).joined(separator: "<br>")
            }
            lines.append("| \(escape(row.name)) | \(ScenarioCompliance.label(row.verdict)) | \(measure(row.rtoSeconds, row.rtoTargetSeconds)) | \(measure(row.rpoSeconds, row.rpoTargetSeconds)) | \(row.projection?.projectedRTOSeconds.map(ComplianceFormat.duration) ?? "–") | \(ComplianceFormat.duration(row.seconds)) | \(why) |")
        }
        lines.append("")

        let phased = r.scenarios.filter { $0.rtoSeconds != nil && !$0.rtoPhases.isEmpty }
        if !phased.isEmpty {
            lines.append("### RTO phases")
            lines.append("")
            lines.append("| Scenario | RTO | Phases |")
            lines.append("|---|---|---|")
            for row in phased {
                let rto = row.rtoSeconds ?? 0
                let phases = row.rtoPhases.map { "\(escape($0.name)) \(ComplianceFormat.duration($0.seconds)) (\(ComplianceFormat.percent(rto > 0 ? $0.seconds / rto : nil)))" }.joined(separator: "; ")
                lines.append("| \(escape(row.name)) | \(ComplianceFormat.duration(rto)) | \(phases) |")
            }
            lines.append("")
        }
        return lines
    }

    /// The runs over time, and each figure per scenario and run.
    private func trendLines() -> [String] {
        var lines: [String] = []
        let r = report
        lines.append("## Trend across runs")
        lines.append("")
        lines.append("| Date | Run | Kind | Passed | Failed | Skipped | Pass rate | Slowest RTO | Largest RPO |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for (run, gap) in r.runsWithGaps {
            if let gap {
                lines.append("| **✗ \(escape(gap))** | | | | | | | | |")
                continue
            }
            guard let run else { continue }
            lines.append("| \(ComplianceFormat.dateTime(run.startedAt)) | \(escape(run.runID)) | \(run.isFull ? "full" : "partial (\(run.catalogueScenariosRun) of \(r.catalogue.names.count))") | \(run.passed) | \(run.failed > 0 ? "✗ \(run.failed)" : "0") | \(run.skipped) | \(ComplianceFormat.percent(run.passRate)) | \(run.worstRTOSeconds.map(ComplianceFormat.duration) ?? "–") | \(run.worstRPOSeconds.map(ComplianceFormat.duration) ?? "–") |")
        }
        lines.append("")
        for measure in [TargetVerdict.Measure.rto, .rpo] {
            let series = r.trend.scenarios.filter { measure == .rto ? $0.measuresRTO : $0.measuresRPO }
            guard !series.isEmpty else { continue }
            lines.append("### \(measure.rawValue) per scenario and run (✗: the scenario failed in that run)")
            lines.append("")
            lines.append("| Run date | " + series.map { escape($0.name) }.joined(separator: " | ") + " |")
            lines.append("|---|" + series.map { _ in "---|" }.joined())
            for run in r.trend.runs.reversed() {
                let cells = series.map { one -> String in
                    let point = one.points.first { $0.runID == run.runID && $0.startedAt == run.startedAt }
                    let value = point.flatMap { measure == .rto ? $0.rtoSeconds : $0.rpoSeconds }
                    return (value.map(ComplianceFormat.duration) ?? "–") + (point?.verdict == .failed ? " ✗" : "")
                }
                lines.append("| \(ComplianceFormat.dateTime(run.startedAt)) | " + cells.joined(separator: " | ") + " |")
            }
            lines.append("")
        }
        return lines
    }

    /// The rules the verdict follows.
    private func readingLines() -> [String] {
        var lines: [String] = []
        let r = report
        lines.append("## How to read this report")
        lines.append("")
        for rule in r.rules { lines.append("- \(escape(rule))") }
        lines.append("")
        return lines
    }

    /// The production configuration the verdict assumes, under the title.
    private func configurationLines() -> [String] {
        guard let configuration = report.productionConfiguration else { return [] }
        return ["**Production configuration assumed:** \(escape(configuration.sentence))", ""]
    }

    /// The glossary section for `entries` (the body already ends with an empty line).
    private func glossaryLines(_ entries: [ComplianceGlossary.Entry]) -> [String] {
        guard !entries.isEmpty else { return [] }
        return ["## Glossary", ""] + entries.map { "- **\(escape($0.term))**: \(escape($0.meaning))" } + [""]
    }

    private func measure(_ value: Double?, _ target: Double) -> String {
        guard let value else { return "– / \(ComplianceFormat.duration(target))" }
        return value > target
            ? "**\(ComplianceFormat.duration(value)) ✗ over** / \(ComplianceFormat.duration(target))"
            : "\(ComplianceFormat.duration(value)) / \(ComplianceFormat.duration(target))"
    }

    /// Text inside an inline code span (a run id, the history path): it cannot leave the span.
    /// Backticks become `'` (one would end the span early), `|` becomes `¦` (the span may sit
    /// in a table row, and GFM splits cells before it parses code spans) and every line break
    /// becomes a space: a blank line would end the paragraph with the span still open, and a
    /// new line may start an HTML block (`<script>`, `<img ...>`) or a heading, which
    /// CommonMark lets interrupt a paragraph. `<` and `&` need nothing: a code span shows them
    /// as they are.
    private func code(_ text: String) -> String {
        var out = ""
        for scalar in Self.escapeControls(text).unicodeScalars {
            switch scalar {
            case "`": out += "'"
            case "|": out += "¦"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `text` made inert in Markdown and safe in a table cell: Markdown punctuation is
    /// backslash-escaped, `&` `<` `>` become entities (no raw HTML), line breaks of every kind
    /// (CR, LF, U+2028, U+2029) become spaces,
    /// `|` cannot end a cell, and control characters become visible control pictures.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in escapeControls(text).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\\", "`", "*", "_", "[", "]", "|", "~", "#", "!": out += "\\" + String(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private func escape(_ text: String) -> String { Self.escape(text) }

    /// Tabs and line breaks (CR, LF, and the Unicode line and paragraph separators, which
    /// some renderers also break on) become spaces, other control characters visible
    /// (`\x1B`): whatever the history holds stays on its line.
    private static func escapeControls(_ text: String) -> String {
        text.unicodeScalars.map { scalar in
            switch scalar {
            case "\t", "\n", "\r", "\u{2028}", "\u{2029}": return " "
            default: return HTMLEscaping.visible(scalar)
            }
        }.joined()
    }

}
