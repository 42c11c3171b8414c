import Foundation
import PRACore
import PRADrillResults

/// Builds the compliance report from a history file and writes its HTML and Markdown
/// renderings: what `pra report` and `pra drill run --report` call.
public enum ComplianceReportFiles {
    /// Default paths, relative to the report directory (`REPORT_DIR`, default `./reports`).
    public static let defaultHTMLName = "compliance.html"
    public static let defaultMarkdownName = "compliance.md"
    /// The calibration scenario's history, beside the drill history.
    public static let defaultCalibrationName = "calibration.jsonl"

    /// Reads the histories in `settings.historyPaths` (a truncated or malformed line is skipped
    /// and named in the report), puts the shards of each sharded pipeline back together (see
    /// ``ShardedRunMerger``; a pipeline missing shards is named) and builds the report.
    public static func build(settings: ComplianceSettings) throws(ComplianceError) -> ComplianceReport {
        var runs: [DrillRunResult] = []
        var skippedLines: [Int] = []
        var notices: [String] = []
        for path in settings.historyPaths {
            let history = RunReportFiles.readHistory(path: path)
            runs += history.runs
            if settings.historyPaths.count == 1 {
                skippedLines = history.skippedLines
            } else if !history.skippedLines.isEmpty {
                notices.append(ComplianceReport.unreadableLinesSentence(history.skippedLines, path: path))
            }
        }
        var settings = settings
        for path in settings.calibrationHistoryPaths {
            let calibration = RunReportFiles.readHistory(path: path)
            let runs = calibration.runs.filter { run in settings.since.map { run.startedAt >= $0 } ?? true }
            settings.restoreMeasurements += runs.flatMap { DrillTimeMeasurements.restores(in: $0, source: .calibration) }
            settings.backupMeasurements += runs.flatMap { DrillTimeMeasurements.backups(in: $0, source: .calibration) }
            if !calibration.skippedLines.isEmpty {
                notices.append(ComplianceReport.unreadableLinesSentence(calibration.skippedLines, path: path))
            }
        }
        let merged = ShardedRunMerger.merge(runs)
        notices += merged.incomplete.map { "A sharded drill is incomplete (\($0.sentence)): pass every job's history with --history; the scenarios of the missing shards count as not run." }
        var evidence = EvidenceInput.read(paths: settings.evidencePaths)
        evidence.absence = settings.evidenceAbsence
        return try ComplianceReport(runs: merged.runs, skippedLines: skippedLines, notices: notices, evidence: evidence, settings: settings)
    }

    /// Writes the report as HTML to `html` and as Markdown to `markdown` (either may be `nil`),
    /// each durably (temporary file, fsync, rename) so a reader never sees half a page (`-`, a
    /// link, a device or a FIFO is written through: `OutputFile`); parent
    /// directories are created when missing.
    public static func write(_ report: ComplianceReport, html: String?, markdown: String?) throws {
        if let html {
            try RunReportFiles.createParentDirectory(of: html)
            try OutputFile.write(Data(ComplianceHTMLRenderer(report: report).html.utf8), to: html, permissions: 0o644)
        }
        if let markdown {
            try RunReportFiles.createParentDirectory(of: markdown)
            try OutputFile.write(Data(ComplianceMarkdownRenderer(report: report).markdown.utf8), to: markdown, permissions: 0o644)
        }
    }

    /// A few lines for the terminal: the verdict, its sentences, the other findings and the files.
    public static func summary(_ report: ComplianceReport, html: String?, markdown: String?) -> String {
        var lines = ["compliance: \(report.headline.rawValue)"]
        if let configuration = report.productionConfiguration { lines.append("  " + configuration.sentence) }
        lines += ["  " + report.rpo.sentence, "  " + report.rto.sentence, "  " + report.lastDrillSentence]
        for reason in report.atRiskReasons where report.headline == .atRisk {
            lines.append("  at risk: \(reason)")
        }
        lines += EvidenceTerminalSummary.lines(report)
        for finding in report.findings where finding.text != report.rpo.sentence && finding.text != report.rto.sentence && !(finding.severity == .atRisk && report.headline == .atRisk) {
            lines.append("  \(finding.severity.rawValue): \(finding.text)")
        }
        lines = lines.map(ComplianceFormat.oneLine)
        let files = [html, markdown].compactMap { $0 }
        if !files.isEmpty { lines.append("report: " + files.joined(separator: ", ")) }
        return lines.joined(separator: "\n") + "\n"
    }
}
