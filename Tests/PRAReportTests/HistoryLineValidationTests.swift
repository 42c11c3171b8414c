import Foundation
import PRACore
import PRADrillResults
import PRATestSupport
import Testing

@testable import PRAReport

/// History lines that are well-formed JSON but hold values no drill can produce (a shard count
/// of 0, a shard index beyond its count, negative or astronomical durations, a zero target):
/// each is an unreadable line named by its number, never a crash of `pra report`.
@Suite("history lines with impossible values are reported as unreadable, never a crash")
struct HistoryLineValidationTests {
    static let start = Date(timeIntervalSince1970: 1_796_000_000)

    /// The impossible variants, each one line of the history after a good run on line 1.
    static func impossibleRuns() -> [(String, DrillRunResult)] {
        var cases: [(String, DrillRunResult)] = []
        func variant(_ label: String, _ change: (inout DrillRunResult) -> Void) {
            var run = syntheticRun(id: "bad-" + label, start: start.addingTimeInterval(Double(cases.count + 1) * 100))
            change(&run)
            cases.append((label, run))
        }
        variant("shard count 0") { $0.shard = ShardRecord(index: 1, count: 0, group: "g0", plan: "p", catalogue: ["s1"]) }
        variant("shard index 0") { $0.shard = ShardRecord(index: 0, count: 2, group: "g1", plan: "p", catalogue: ["s1"]) }
        variant("shard index over count") { $0.shard = ShardRecord(index: 3, count: 2, group: "g2", plan: "p", catalogue: ["s1"]) }
        variant("shard count negative") { $0.shard = ShardRecord(index: 1, count: -4, group: "g3", plan: "p", catalogue: ["s1"]) }
        variant("shard count huge") { $0.shard = ShardRecord(index: 1, count: Int.max, group: "g4", plan: "p", catalogue: ["s1"]) }
        variant("run seconds negative") { $0.seconds = -1 }
        variant("scenario seconds huge") { $0.scenarios[0].seconds = 1e300 }
        variant("rto negative") { $0.scenarios[0].measurement.rtoSeconds = -3 }
        variant("rto huge") { $0.scenarios[0].measurement.rtoSeconds = 1e300 }
        variant("rto target zero") { $0.scenarios[0].measurement.rtoTargetSeconds = 0 }
        variant("rpo target negative") { $0.scenarios[0].measurement.rpoTargetSeconds = -60 }
        variant("phase seconds negative") { $0.scenarios[0].measurement.rtoPhases = [PhaseRecord(name: "x", seconds: -2)] }
        variant("jobs zero") { $0.jobs = 0 }
        return cases
    }

    /// A history: one good run, then every impossible run, one per line.
    static func writeHistory() throws -> (path: String, labels: [String]) {
        let directory = TestEnvironment.temporaryDirectory("history-validation")
        let path = directory + "/history.jsonl"
        try RunReportFiles.appendHistory(syntheticRun(id: "good", start: start), to: path)
        let cases = impossibleRuns()
        for (_, run) in cases { try RunReportFiles.appendHistory(run, to: path) }
        return (path, cases.map(\.0))
    }

    @Test("readHistory skips every impossible line and names it by number")
    func readHistorySkips() throws {
        let (path, labels) = try Self.writeHistory()
        let history = RunReportFiles.readHistory(path: path)
        #expect(history.runs.map(\.runID) == ["good"], "kept: \(history.runs.map(\.runID))")
        #expect(history.skippedLines == Array(2...(labels.count + 1)), "skipped: \(history.skippedLines) of \(labels)")
    }

    @Test("pra report on such a history exits 0 or 1 (not a trap) and names the lines")
    func reportDoesNotCrash() throws {
        let (path, labels) = try Self.writeHistory()
        let directory = TestEnvironment.temporaryDirectory("history-validation-report")
        let result = try PraBinary.run(["report", "--history", path, "--html", directory + "/c.html", "--markdown", directory + "/c.md"], environment: TestEnvironment.baseEnvironment(["REPORT_DIR": directory]))
        #expect(result.exitCode == 0 || result.exitCode == 1, "exit \(result.exitCode): \(result.stderr)")
        let markdown = (try? String(contentsOfFile: directory + "/c.md", encoding: .utf8)) ?? ""
        #expect(markdown.contains("2"), "the report names the unreadable lines")
        let report = try ComplianceReportFiles.build(settings: ComplianceSettings(now: Self.start.addingTimeInterval(86400), historyPath: path))
        #expect(report.skippedLines.count == labels.count)
    }

    @Test("each impossible line alone: the report is built from the good line, the bad one named")
    func eachAlone() throws {
        for (label, run) in Self.impossibleRuns() {
            let directory = TestEnvironment.temporaryDirectory("history-one")
            let path = directory + "/history.jsonl"
            try RunReportFiles.appendHistory(syntheticRun(id: "good", start: Self.start), to: path)
            try RunReportFiles.appendHistory(run, to: path)
            let result = try PraBinary.run(["report", "--history", path, "--html", directory + "/c.html", "--markdown", directory + "/c.md"], environment: TestEnvironment.baseEnvironment(["REPORT_DIR": directory]))
            #expect(result.exitCode == 0 || result.exitCode == 1, "\(label): exit \(result.exitCode): \(result.stderr)")
            let markdown = (try? String(contentsOfFile: directory + "/c.md", encoding: .utf8)) ?? ""
            #expect(markdown.contains("Line 2") || markdown.contains("line 2"), "\(label): line 2 not named")
        }
    }

    @Test("the formatters never trap, whatever the number")
    func formattersTotal() {
        for value in [Double.infinity, -Double.infinity, .nan, 1e300, -1e300, Double(Int.max), 9.3e18] {
            _ = ComplianceFormat.duration(value)
            _ = ComplianceFormat.percent(value)
            _ = ComplianceFormat.rate(value)
        }
    }
}
