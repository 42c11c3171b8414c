import Foundation
import PRADrillResults

/// Renders a ``ComplianceReport`` as one self-contained HTML5 page: inline CSS and inline SVG
/// charts (``SVGChart``), no script, no external resource, so it opens offline, can be mailed or
/// attached, and prints on A4 (sections do not split across pages, colours are kept).
///
/// Nothing relies on colour alone: verdicts carry words and symbols (✓ ✗ ⊘), over-target bars
/// are hatched, projections dotted and labelled. Every text from the history is escaped with
/// ``HTMLEscaping``.
public struct ComplianceHTMLRenderer: Sendable {
    /// The report to render.
    public let report: ComplianceReport

    /// A renderer for `report`.
    public init(report: ComplianceReport) {
        self.report = report
    }

    /// The whole document, UTF-8, ending with a newline.
    public var html: String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta name=\"generator\" content=\"pra report\">\n"
        out += "<title>\(e("Disaster-recovery compliance — \(report.isCompliant ? "compliant" : "NOT compliant") — \(ComplianceFormat.day(report.latest.startedAt))"))</title>\n"
        out += "<style>\n\(Self.css)</style>\n</head>\n<body>\n<main>\n"
        out += header()
        out += configuration()
        out += verdict()
        out += EvidenceHTMLSections(report: report).html
        out += disasterClasses()
        out += projections()
        out += latestRun()
        out += phases()
        out += trend()
        out += rules()
        out += glossary()
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    // MARK: - Sections

    private func header() -> String {
        var out = "<header>\n<h1>Disaster-recovery compliance report</h1>\n"
        var meta = "Generated \(ComplianceFormat.dateTime(report.generatedAt)) by pra from <code>\(e(report.historyPath))</code>: "
        meta += "\(ComplianceFormat.count(report.totalRunCount, "drill run")) recorded"
        if let since = report.since { meta += ", trend since \(ComplianceFormat.day(since)) (\(ComplianceFormat.count(report.trend.runs.count, "run")))" }
        meta += ". Latest run <code>\(e(report.latest.runID))</code> on \(e(report.latest.host)), pra \(e(report.latest.toolVersion)), \(ComplianceFormat.dateTime(report.latest.startedAt))\(report.latest.sharingNote)."
        out += "<p class=\"meta\">\(meta)</p>\n</header>\n"
        return out
    }

    private func verdict() -> String {
        let compliant = report.isCompliant
        let headline = report.headline
        let mark = headline == .compliant ? "✓" : (headline == .atRisk ? "⚠" : "✗")
        var out = "<section class=\"verdict \(compliant ? "is-compliant" : "is-not-compliant")\" aria-labelledby=\"verdict-title\">\n"
        out += "<h2 id=\"verdict-title\"><span class=\"mark\">\(mark)</span> \(headline.rawValue)</h2>\n"
        for reason in report.atRiskReasons where headline == .atRisk {
            out += "<p class=\"sentence bad\"><span class=\"mark\">⚠</span> At risk: \(e(reason))</p>\n"
        }
        out += "<p class=\"lead\">Targets: RPO \(e(targetText(report.rpo))) and RTO \(e(targetText(report.rto))), judged on the latest drill run (\(ComplianceFormat.day(report.latest.startedAt)), \(report.latestPoint.isFull ? "full" : "partial"), \(report.latestPoint.passed) of \(report.latestPoint.total) scenarios passed).</p>\n"
        for target in [report.rpo, report.rto] {
            let symbol = target.isCompliant ? "✓" : "✗"
            out += "<p class=\"sentence \(target.isCompliant ? "ok" : "bad")\"><span class=\"mark\">\(symbol)</span> \(e(target.sentence))</p>\n"
        }
        out += "<p class=\"sentence\">\(e(lastDrillSentence()))</p>\n"
        if let comparison = report.trend.comparison {
            out += "<p class=\"sentence\">\(e(comparison.sentence))</p>\n"
        }
        if !report.findings.isEmpty {
            out += "<h3>Findings</h3>\n<ul class=\"findings\">\n"
            for finding in report.findings {
                out += "<li class=\"\(finding.severity == .failing ? "failing" : (finding.severity == .warning || finding.severity == .atRisk) ? "warning" : "notice")\"><strong>\(e(finding.severity.rawValue.uppercased())):</strong> \(e(finding.text))</li>\n"
            }
            out += "</ul>\n"
        }
        return out + "</section>\n"
    }

    private func disasterClasses() -> String {
        var out = "<section aria-labelledby=\"classes-title\">\n<h2 id=\"classes-title\">RPO by disaster class</h2>\n"
        out += "<p>The data the plan loses depends on what the disaster leaves: each class is judged only on drills of that class.</p>\n"
        out += "<table class=\"classes\">\n<thead><tr><th scope=\"col\">Disaster class</th><th scope=\"col\">What survives</th><th scope=\"col\">Worst-case RPO</th><th scope=\"col\">Target</th><th scope=\"col\">Verdict</th><th scope=\"col\">Proven by</th></tr></thead>\n<tbody>\n"
        for row in report.rpoByDisasterClass {
            let verdict = row.isSatisfied ? e(row.verdictText) : "<strong>\(e(row.verdictText))</strong>"
            out += self.row([row.disasterClass.title, row.disasterClass.survivors, row.worstCaseText, ComplianceFormat.duration(row.targetSeconds), verdict, row.provenByText], rawColumns: [4])
        }
        out += "</tbody>\n</table>\n"
        for row in report.rpoByDisasterClass {
            out += "<p class=\"sentence \(row.isSatisfied ? "ok" : "bad")\"><span class=\"mark\">\(row.isSatisfied ? "✓" : "⚠")</span> \(e(row.sentence))</p>\n"
        }
        return out + "</section>\n"
    }

    private func projections() -> String {
        var out = "<section aria-labelledby=\"projections-title\">\n<h2 id=\"projections-title\">Projections for production <span class=\"label\">projection, not measured</span></h2>\n"
        out += "<p>What the restores and backups measured in the drills (and the calibration run) imply for the production database and the configured backup schedule. They are estimates, shown next to the measurements, and do not change the verdict.</p>\n"
        let rtoProjection = report.rtoProjection, rpoProjection = report.rpoProjection
        if rtoProjection == nil && rpoProjection == nil {
            return out + "<p class=\"none\">No projection: the latest run recorded no backup or restore figures.</p>\n</section>\n"
        }
        out += "<table>\n<thead><tr><th scope=\"col\">Projection</th><th scope=\"col\">Value</th><th scope=\"col\">Target</th><th scope=\"col\">Verdict</th><th scope=\"col\">Based on</th></tr></thead>\n<tbody>\n"
        let withThroughput = report.scenarios.first { $0.projection?.inputs.restoreBytesPerSecond != nil }
        if let named = rtoProjection ?? withThroughput.flatMap({ row in row.projection.map { ComplianceReport.NamedProjection(scenario: row.name, projection: $0) } }) {
            let p = named.projection
            if let rto = p.projectedRTOSeconds, let size = p.inputs.productionBytes {
                out += row(["RTO at \(ComplianceFormat.bytes(size)) (\(p.inputs.productionSizeSource))", ComplianceFormat.duration(rto), ComplianceFormat.duration(p.inputs.rtoTargetSeconds), verdictCell(p.rtoMeetsTarget ?? false), "\(named.scenario) (the slowest projection): \(p.rtoBasisText)"], rawColumns: [3])
            } else {
                out += row(["RTO at production size", "not computed", ComplianceFormat.duration(p.inputs.rtoTargetSeconds), "–", "set PRODUCTION_DB_SIZE; restore throughput measured: \(p.inputs.restoreBytesPerSecond.map(ComplianceFormat.rate) ?? "none")"])
            }
        }
        if let named = rpoProjection {
            let p = named.projection
            if let timeout = p.inputs.archiveTimeoutSeconds {
                out += row(["Worst-case RPO with continuous archiving (archive_timeout \(ComplianceFormat.duration(timeout)))", ComplianceFormat.duration(p.worstCaseRPOSeconds), ComplianceFormat.duration(p.inputs.rpoTargetSeconds), verdictCell(p.rpoMeetsTarget), "archive_timeout + archive lag \(p.inputs.archiveLagSeconds.map { ComplianceFormat.duration($0) } ?? "not measured (0)") (proven by a point-in-time recovery to the latest point, \(named.scenario))"], rawColumns: [3])
            } else {
                out += row(["Worst-case RPO, backups every \(ComplianceFormat.duration(p.inputs.backupIntervalSeconds)) (BACKUP_INTERVAL)", ComplianceFormat.duration(p.worstCaseRPOSeconds), ComplianceFormat.duration(p.inputs.rpoTargetSeconds), verdictCell(p.rpoMeetsTarget), "interval + backup \(ComplianceFormat.duration(p.backupSeconds)) (\(p.backupBasis.rawValue), \(named.scenario)) + copy \(ComplianceFormat.duration(p.inputs.copySeconds ?? 0))\(p.copyTimeAssumed ? " (not configured, counted as 0)" : "")"], rawColumns: [3])
            }
            let longest = p.longestIntervalMeetingTarget
            out += row(["Longest backup interval that meets the RPO target", longest > 0 ? ComplianceFormat.duration(longest) : "none", ComplianceFormat.duration(p.inputs.rpoTargetSeconds), longest > 0 ? (p.rpoMeetsTarget ? "configured interval fits" : "<strong>shorten BACKUP_INTERVAL</strong>") : "<strong>✗ no schedule can meet it</strong>", "target − backup − copy"], rawColumns: [3])
        }
        return out + "</tbody>\n</table>\n</section>\n"
    }

    private func latestRun() -> String {
        var out = "<section aria-labelledby=\"latest-title\">\n<h2 id=\"latest-title\">Latest drill, scenario by scenario</h2>\n"
        out += "<p>Run <code>\(e(report.latest.runID))</code>, \(ComplianceFormat.dateTime(report.latest.startedAt)), \(ComplianceFormat.duration(report.latest.seconds)): \(report.latestPoint.passed) passed, \(report.latestPoint.failed) failed, \(report.latestPoint.skipped) skipped\(report.latestPoint.isFull ? " — a full drill" : " — a partial run (missing: \(e(report.latestPoint.missingScenarios.joined(separator: ", "))))").</p>\n"

        let rtoBars = report.scenarios.flatMap { row -> [SVGChart.Bar] in
            guard row.verdict != .skipped, row.rtoSeconds != nil || report.rto.unmeasured.contains(row.name) else { return [] }
            var bars = [SVGChart.Bar(label: row.name, value: row.rtoSeconds, target: row.rtoTargetSeconds, note: "no recovery")]
            if let p = row.projection, let projected = p.projectedRTOSeconds, let size = p.inputs.productionBytes {
                bars.append(SVGChart.Bar(label: "↳ projected at \(ComplianceFormat.bytes(size))", value: projected, target: p.inputs.rtoTargetSeconds, kind: .projected))
            }
            return bars
        }
        if !rtoBars.isEmpty {
            out += figure(SVGChart.targetBars(id: "chart-rto", title: "RTO per scenario in the latest drill, measured and projected, against the target", bars: rtoBars, format: ComplianceFormat.duration), caption: "RTO per scenario: measured bars, projections at the production size (dotted), target (dashed line).")
        }
        var rpoBars = report.scenarios.compactMap { row -> SVGChart.Bar? in
            guard row.verdict != .skipped, row.rpoSeconds != nil || report.rpo.unmeasured.contains(row.name) else { return nil }
            return SVGChart.Bar(label: row.name, value: row.rpoSeconds, target: row.rpoTargetSeconds, note: "no heartbeat recovered")
        }
        if let named = report.rpoProjection, !rpoBars.isEmpty {
            let label = named.projection.inputs.archiveTimeoutSeconds.map { "projected, continuous archiving (archive_timeout \(ComplianceFormat.duration($0)))" }
                ?? "projected, backups every \(ComplianceFormat.duration(named.projection.inputs.backupIntervalSeconds))"
            rpoBars.append(SVGChart.Bar(label: label, value: named.projection.worstCaseRPOSeconds, target: named.projection.inputs.rpoTargetSeconds, kind: .projected))
        }
        if !rpoBars.isEmpty {
            out += figure(SVGChart.targetBars(id: "chart-rpo", title: "RPO per scenario in the latest drill, and the worst case the backup schedule allows, against the target", bars: rpoBars, format: ComplianceFormat.duration), caption: "RPO (data loss) per scenario, and the projected worst case for the configured backup interval (dotted).")
        }

        out += "<table class=\"scenarios\">\n<colgroup><col style=\"width:23%\"><col style=\"width:12%\"><col style=\"width:13%\"><col style=\"width:13%\"><col style=\"width:10%\"><col style=\"width:7%\"><col style=\"width:22%\"></colgroup>\n<thead><tr><th scope=\"col\">Scenario</th><th scope=\"col\">Verdict</th><th scope=\"col\">RTO measured / target</th><th scope=\"col\">RPO measured / target</th><th scope=\"col\">Projected RTO</th><th scope=\"col\">Time</th><th scope=\"col\">Why</th></tr></thead>\n<tbody>\n"
        for row in report.scenarios {
            var why = ""
            if let reason = row.skippedReason { why = "<span class=\"skipped-reason\">Skipped: \(e(reason))</span>" }
            if row.verdict == .passed, let proves = row.proves { why = "<span class=\"proves\">\(e(proves))</span>" }
            if row.verdict == .failed {
                var items = row.failedChecks
                if let failure = row.failure, !items.contains(failure) { items.insert(failure, at: 0) }
                if items.isEmpty { items = ["failed"] }
                why = "<ul class=\"failures\">" + items.map { "<li>\(e($0))</li>" }.joined() + "</ul>"
            }
            let projected = row.projection?.projectedRTOSeconds.map(ComplianceFormat.duration) ?? "–"
            out += "<tr class=\"\(row.verdict.rawValue)\"><th scope=\"row\">\(e(row.name))<div class=\"description\">\(e(row.description))</div></th>"
            out += "<td class=\"verdict-cell\"><span class=\"badge \(row.verdict.rawValue)\">\(e(ScenarioCompliance.label(row.verdict)))</span></td>"
            out += "<td class=\"num\">\(measure(row.rtoSeconds, row.rtoTargetSeconds))</td><td class=\"num\">\(measure(row.rpoSeconds, row.rpoTargetSeconds))</td>"
            out += "<td class=\"num\">\(e(projected))</td><td class=\"num\">\(e(ComplianceFormat.duration(row.seconds)))</td><td>\(why)</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n</section>\n"
    }

    private func phases() -> String {
        let measured = report.scenarios.filter { $0.rtoSeconds != nil && !$0.rtoPhases.isEmpty }
        guard !measured.isEmpty else { return "" }
        var out = "<section aria-labelledby=\"phases-title\">\n<h2 id=\"phases-title\">Where the recovery time goes (RTO phases)</h2>\n"
        out += "<p>From the moment the disaster was injected to the restored database passing its checks.</p>\n"
        for row in measured {
            let rto = row.rtoSeconds ?? 0
            out += "<table class=\"phases\">\n<caption>\(e(row.name)): RTO \(e(ComplianceFormat.duration(rto)))</caption>\n<thead><tr><th scope=\"col\">Phase</th><th scope=\"col\">Time</th><th scope=\"col\">Share</th></tr></thead>\n<tbody>\n"
            for phase in row.rtoPhases {
                let share = rto > 0 ? phase.seconds / rto : nil
                // Clamped before `Int`: a phase longer than a (damaged) tiny RTO must not trap.
                let width = Int((min(max(share ?? 0, 0), 1) * 100).rounded())
                out += "<tr><td>\(e(phase.name))</td><td>\(e(ComplianceFormat.duration(phase.seconds)))</td><td><span class=\"share\"><span style=\"width:\(max(0, min(100, width)))%\"></span></span> \(e(ComplianceFormat.percent(share)))</td></tr>\n"
            }
            out += "</tbody>\n</table>\n"
        }
        return out + "</section>\n"
    }

    private func trend() -> String {
        let trend = report.trend
        var out = "<section aria-labelledby=\"trend-title\">\n<h2 id=\"trend-title\">Trend across runs</h2>\n"
        out += "<p>\(e(lastDrillSentence()))\(trend.comparison.map { " " + e($0.sentence) } ?? "")</p>\n"
        let columns = trend.runs.map { SVGChart.Column(label: ComplianceFormat.day($0.startedAt), passed: $0.passed, failed: $0.failed, total: $0.total, isFull: $0.isFull) }
        out += figure(SVGChart.passRateColumns(id: "chart-pass-rate", title: "Pass rate per drill run", columns: columns), caption: "Pass rate per run: scenarios passed of those in the run (skipped ones do not count as passed).")
        for measure in [TargetVerdict.Measure.rto, .rpo] {
            let series = trend.scenarios.filter { measure == .rto ? $0.measuresRTO : $0.measuresRPO }.map { one in
                SVGChart.Series(name: one.name, points: one.points.map { SVGChart.Series.Point(date: $0.startedAt, value: measure == .rto ? $0.rtoSeconds : $0.rpoSeconds, failed: $0.verdict == .failed) })
            }
            guard !series.isEmpty else { continue }
            let targets = trend.scenarios.flatMap { $0.points.map { measure == .rto ? $0.rtoTargetSeconds : $0.rpoTargetSeconds } }
            let target = Set(targets).count == 1 ? targets.first : nil
            let what = measure == .rto ? "RTO (recovery time)" : "RPO (data loss)"
            out += figure(SVGChart.trendLines(id: "chart-trend-\(measure.rawValue.lowercased())", title: "\(what) per scenario over time", series: series, target: target, format: ComplianceFormat.duration), caption: "\(what) per scenario, one line each (distinct dash and marker).")
        }
        out += "<table class=\"runs\">\n<thead><tr><th scope=\"col\">Date</th><th scope=\"col\">Run</th><th scope=\"col\">Kind</th><th scope=\"col\">Passed</th><th scope=\"col\">Failed</th><th scope=\"col\">Skipped</th><th scope=\"col\">Pass rate</th><th scope=\"col\">Slowest RTO</th><th scope=\"col\">Largest RPO</th></tr></thead>\n<tbody>\n"
        for (run, gap) in report.runsWithGaps {
            if let gap {
                out += "<tr class=\"gap\"><td colspan=\"9\">✗ \(e(gap))</td></tr>\n"
                continue
            }
            guard let run else { continue }
            out += row([ComplianceFormat.dateTime(run.startedAt), run.runID, run.isFull ? "full" : "partial (\(run.catalogueScenariosRun) of \(report.catalogue.names.count))", "\(run.passed)", run.failed > 0 ? "✗ \(run.failed)" : "0", "\(run.skipped)", ComplianceFormat.percent(run.passRate), run.worstRTOSeconds.map(ComplianceFormat.duration) ?? "–", run.worstRPOSeconds.map(ComplianceFormat.duration) ?? "–"])
        }
        out += "</tbody>\n</table>\n"
        for measure in [TargetVerdict.Measure.rto, .rpo] {
            out += seriesTable(measure)
        }
        return out + "</section>\n"
    }

    /// Runs down, scenarios across: the figures the trend chart draws, for print and screen readers.
    private func seriesTable(_ measure: TargetVerdict.Measure) -> String {
        let series = report.trend.scenarios.filter { measure == .rto ? $0.measuresRTO : $0.measuresRPO }
        guard !series.isEmpty else { return "" }
        var out = "<table class=\"series\">\n<caption>\(measure.rawValue) per scenario and run (✗: the scenario failed in that run)</caption>\n<thead><tr><th scope=\"col\">Run date</th>"
        out += series.map { "<th scope=\"col\">\(e($0.name))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for run in report.trend.runs.reversed() {
            out += "<tr><td>\(e(ComplianceFormat.dateTime(run.startedAt)))</td>"
            for one in series {
                let point = one.points.first { $0.runID == run.runID && $0.startedAt == run.startedAt }
                let value = point.flatMap { measure == .rto ? $0.rtoSeconds : $0.rpoSeconds }
                var cell = value.map(ComplianceFormat.duration) ?? "–"
                if point?.verdict == .failed { cell += " ✗" }
                out += "<td>\(e(cell))</td>"
            }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    private func rules() -> String {
        var out = "<section class=\"rules\" aria-labelledby=\"rules-title\">\n<h2 id=\"rules-title\">How to read this report</h2>\n<ul>\n"
        for rule in report.rules {
            out += "<li>\(e(rule))</li>\n"
        }
        return out + "</ul>\n</section>\n"
    }

    /// The production configuration the verdict assumes, above the verdict.
    private func configuration() -> String {
        guard let configuration = report.productionConfiguration else { return "" }
        return "<p class=\"assumed\"><strong>Production configuration assumed:</strong> \(e(configuration.sentence))</p>\n"
    }

    /// One line for each technical term the report uses (the same as the Markdown's), as a
    /// definition list.
    private func glossary() -> String {
        let entries = ComplianceMarkdownRenderer(report: report).glossary
        guard !entries.isEmpty else { return "" }
        var out = "<section class=\"glossary\" aria-labelledby=\"glossary-title\">\n<h2 id=\"glossary-title\">Glossary</h2>\n<dl>\n"
        for entry in entries {
            out += "<dt>\(e(entry.term))</dt><dd>\(e(entry.meaning))</dd>\n"
        }
        return out + "</dl>\n</section>\n"
    }

    // MARK: - Pieces

    private func lastDrillSentence() -> String {
        report.lastDrillSentence
    }

    private func targetText(_ target: TargetVerdict) -> String {
        let targets = Set(report.scenarios.filter { $0.verdict != .skipped }.map { target.measure == .rto ? $0.rtoTargetSeconds : $0.rpoTargetSeconds })
        if let only = targets.first, targets.count == 1 { return ComplianceFormat.duration(only) }
        return target.targetSeconds.map { ComplianceFormat.duration($0) + " (per scenario)" } ?? "per scenario"
    }

    private func measure(_ value: Double?, _ target: Double) -> String {
        guard let value else { return "– / \(e(ComplianceFormat.duration(target)))" }
        let over = value > target
        return "<span class=\"\(over ? "over" : "within")\">\(e(ComplianceFormat.duration(value)))\(over ? " ✗ over" : "")</span> / \(e(ComplianceFormat.duration(target)))"
    }

    private func verdictCell(_ meets: Bool) -> String {
        meets ? "✓ meets the target" : "<strong>✗ misses the target</strong>"
    }

    private func figure(_ svg: String, caption: String) -> String {
        "<figure>\n\(svg)\n<figcaption>\(e(caption))</figcaption>\n</figure>\n"
    }

    /// A table row; columns listed in `rawColumns` are already HTML.
    private func row(_ cells: [String], rawColumns: Set<Int> = []) -> String {
        "<tr>" + cells.enumerated().map { index, cell in
            let content = rawColumns.contains(index) ? cell : e(cell)
            return index == 0 ? "<th scope=\"row\">\(content)</th>" : "<td>\(content)</td>"
        }.joined() + "</tr>\n"
    }

    private func e(_ text: String) -> String { HTMLEscaping.text(text) }

    static let css = """
        :root { --ink: #1a1a1a; --muted: #555; --ok: #1b5e20; --bad: #a3001b; --warn: #6b4e00; --rule: #c8c8c8; }
        * { box-sizing: border-box; }
        body { margin: 0; font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; color: var(--ink); background: #fff; line-height: 1.45; font-size: 15px; }
        main { max-width: 960px; margin: 0 auto; padding: 24px 24px 48px; }
        h1 { font-size: 26px; margin: 0 0 4px; }
        h2 { font-size: 20px; margin: 28px 0 10px; border-bottom: 2px solid var(--ink); padding-bottom: 4px; }
        h3 { font-size: 16px; margin: 16px 0 6px; }
        .meta { color: var(--muted); margin: 0; font-size: 13px; }
        code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.92em; }
        .verdict { border: 4px solid var(--ok); padding: 4px 20px 12px; margin-top: 18px; }
        .verdict.is-not-compliant { border: 6px double var(--bad); }
        .verdict h2 { border: 0; font-size: 30px; margin: 8px 0 4px; letter-spacing: 0.04em; }
        .verdict.is-compliant h2 { color: var(--ok); }
        .verdict.is-not-compliant h2 { color: var(--bad); }
        .lead { margin: 4px 0 10px; color: var(--muted); }
        .sentence { font-size: 16px; margin: 8px 0; }
        .sentence.ok .mark { color: var(--ok); font-weight: bold; }
        .sentence.bad { font-weight: bold; }
        .sentence.bad .mark { color: var(--bad); }
        .findings { padding-left: 20px; }
        .findings li { margin: 4px 0; }
        .findings li.failing strong { color: var(--bad); }
        .findings li.warning strong { color: var(--warn); }
        .label { display: inline-block; font-size: 11px; font-weight: normal; text-transform: uppercase; letter-spacing: 0.05em; border: 1px dashed var(--warn); color: var(--warn); padding: 0 6px; border-radius: 3px; vertical-align: middle; }
        table { border-collapse: collapse; width: 100%; margin: 10px 0 18px; font-size: 13.5px; }
        caption { text-align: left; font-weight: bold; padding: 4px 0; }
        th, td { border: 1px solid var(--rule); padding: 5px 7px; text-align: left; vertical-align: top; }
        thead th { background: #f1f1f1; }
        tbody th { font-weight: bold; }
        .description { font-weight: normal; color: var(--muted); font-size: 12px; }
        .badge { display: inline-block; padding: 1px 6px; border-radius: 3px; font-weight: bold; white-space: nowrap; border: 2px solid; }
        .badge.passed { color: var(--ok); border-style: solid; }
        .badge.failed { color: var(--bad); border-style: double; border-width: 3px; }
        .badge.skipped { color: var(--muted); border-style: dashed; }
        .over { color: var(--bad); font-weight: bold; }
        .failures { margin: 0; padding-left: 16px; }
        table.scenarios { table-layout: fixed; }
        table.scenarios th, table.scenarios td { overflow-wrap: anywhere; }
        table.runs td, table.runs th { white-space: nowrap; }
        table.runs { font-size: 12.5px; }
        tr.gap td { font-weight: bold; color: var(--bad); font-style: italic; }
        .skipped-reason { font-style: italic; }
        .share { display: inline-block; width: 120px; height: 10px; border: 1px solid var(--muted); vertical-align: middle; }
        .share span { display: block; height: 100%; background: #2f5d8a; }
        figure { margin: 12px 0 18px; }
        figure svg { width: 100%; height: auto; display: block; }
        figcaption { font-size: 12px; color: var(--muted); }
        .rules li { margin: 4px 0; }
        .assumed { margin: 10px 0 0; padding: 6px 10px; border-left: 4px solid var(--muted); background: #f6f6f6; }
        .proves { color: var(--muted); font-size: 12.5px; }
        .glossary dt { font-weight: bold; margin-top: 6px; }
        .glossary dd { margin: 0 0 4px 16px; }
        .none { font-style: italic; }
        @media print {
          body { font-size: 11pt; }
          main { max-width: none; padding: 0; }
          section, figure, table { break-inside: avoid; }
          h2 { break-after: avoid; }
          * { -webkit-print-color-adjust: exact; }
        }
        @page { size: A4; margin: 14mm; }

        """
}
