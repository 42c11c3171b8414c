import Foundation
import PRADrillResults
import Testing

@testable import PRAReport

/// A run whose identity and texts come from `text`: what a hostile or careless history line can
/// put into the report. No PostgreSQL needed: the renderer only reads the values.
func syntheticRun(id: String, text: String = "s1", start: Date = Date(timeIntervalSince1970: 1_796_000_000), shard: ShardRecord? = nil, scenarioSeconds: Double = 5, rto: Double? = 3) -> DrillRunResult {
    let check = CheckResult(name: "check " + text, passed: false, message: "failed: " + text)
    let scenario = ScenarioResult(
        name: text, file: "scenarios/s1.yaml", description: text, tags: [], verdict: .failed, skippedReason: nil, error: nil,
        fixture: "akig", scale: 0.1, startedAt: start, seconds: scenarioSeconds, checks: [check], steps: [],
        measurement: DrillMeasurement(rtoSeconds: rto, rtoTargetSeconds: 1800, rtoPhases: [PhaseRecord(name: text, seconds: 1)], rpoSeconds: 1, rpoTargetSeconds: 3600),
        log: [])
    return DrillRunResult(runID: id, toolVersion: text, host: text, startedAt: start, finishedAt: start.addingTimeInterval(10), seconds: 10, scenarios: [scenario], shard: shard)
}

@Suite("Markdown escaping: no text from the history leaves its code span, cell or line")
struct MarkdownEscapingTests {
    static let breakouts = [
        "r1\n\n<img src=x onerror=alert(1)>",
        "r1\r\n<script>alert(1)</script>",
        "r1\r# Heading from the run id",
        "r1` <b>raw</b> `",
        "r1``\n<b>x</b>",
        "r1 | injected | cells |",
        "r1\u{2028}<b>x</b>",
    ]

    @Test("a run id with a newline, backtick, pipe or < stays inside its code span", arguments: breakouts)
    func runIDStaysInCodeSpan(_ hostile: String) throws {
        let run = syntheticRun(id: hostile, text: hostile)
        let report = try ComplianceReport(runs: [run], settings: ComplianceSettings(now: run.finishedAt.addingTimeInterval(60), historyPath: "h\n<b>path</b>`x`.jsonl"))
        let markdown = ComplianceMarkdownRenderer(report: report).markdown
        // No raw HTML: every < of the run's text must be inert (an entity, or inside a code span
        // that does not end early).
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(outsideCodeSpans) {
            #expect(!line.contains("<img") && !line.contains("<script") && !line.contains("<b>"), "raw HTML on line: \(line)")
            #expect(!line.hasPrefix("# Heading"), "a heading from the run id: \(line)")
            #expect(!line.contains("\r"), "a carriage return in the output: \(line)")
        }
        // Every code span opened on a line closes on that same line.
        for line in markdown.split(separator: "\n") {
            #expect(line.filter { $0 == "`" }.count % 2 == 0, "an unbalanced code span: \(line)")
        }
        // Every table row keeps its column count: no pipe from the text adds a cell.
        for line in markdown.split(separator: "\n") where line.hasPrefix("| ") {
            var cells = 0
            var previous: Character = " "
            for character in line {
                if character == "|" && previous != "\\" { cells += 1 }
                previous = character
            }
            let table = tableWidth(of: line, in: markdown)
            #expect(cells == table, "a row with \(cells) separators in a table of \(table): \(line)")
        }
    }

    @Test("Markdown.escape and code spans: line breaks of every kind become spaces")
    func lineBreaks() {
        let escaped = ComplianceMarkdownRenderer.escape("a\nb\rc\r\nd\u{2028}e\u{2029}f\u{85}g")
        #expect(!escaped.contains("\n") && !escaped.contains("\r") && !escaped.unicodeScalars.contains("\u{2028}") && !escaped.unicodeScalars.contains("\u{2029}"))
    }

    /// `line` without its code spans (`...`): inside one, `<b>` is shown as it is, not markup.
    private func outsideCodeSpans(_ line: Substring) -> String {
        line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 0 }.map { String($0.element) }.joined()
    }

    /// The number of unescaped `|` in the header row of the table holding `line`.
    private func tableWidth(of line: Substring, in markdown: String) -> Int {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        guard var index = lines.firstIndex(of: line) else { return -1 }
        while index > 0 && lines[index - 1].hasPrefix("|") { index -= 1 }
        var count = 0
        var previous: Character = " "
        for character in lines[index] {
            if character == "|" && previous != "\\" { count += 1 }
            previous = character
        }
        return count
    }
}
