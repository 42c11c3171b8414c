import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRADrill
@testable import PRADrillResults

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The Jenkins JUnit schema, kept in the repository (Tests/Resources, licence notice beside it).
private let schemaPath = TestEnvironment.junitSchema

private let xmllint = "/usr/bin/xmllint"

/// Hostile text: markup, quotes, a CDATA terminator, NUL, ESC and an emoji.
private let hostile = "<script>&\"' ]]> \u{0}\u{1B}[31m 🚨"

private enum Sample {
    /// A quarter second past: the project's JSON dates carry milliseconds.
    static let start = Date(timeIntervalSince1970: 1_760_000_000.25)

    static func measurement(rto: Double? = 42.5, rpo: Double? = 3.25) -> DrillMeasurement {
        DrillMeasurement(
            rtoSeconds: rto, rtoTargetSeconds: 1800,
            rtoPhases: [PhaseRecord(name: "choose backup", seconds: 0.1), PhaseRecord(name: "load", seconds: 30.2)],
            rpoSeconds: rpo, rpoTargetSeconds: 3600,
            heartbeatsWritten: 120, heartbeatsRecovered: 118,
            projections: Projections(productionDatabaseBytes: 50e9, restoreBytesPerSecond: 12_345_678.9, projectedRTOSeconds: 4050, backupIntervalSeconds: 3600, backupSeconds: 12, worstCaseRPOSeconds: 3612))
    }

    static func scenario(_ name: String, verdict: Verdict, checks: [CheckResult], skippedReason: String? = nil, error: String? = nil, log: [String] = ["step 1 backup: ok"]) -> ScenarioResult {
        ScenarioResult(
            name: name, file: "scenarios/\(name).yaml", description: "the \(name) scenario", tags: ["core", "nightly"],
            verdict: verdict, skippedReason: skippedReason, error: error, fixture: "akig", scale: 0.02,
            startedAt: start, seconds: 61.25, checks: checks,
            steps: [StepRecord(index: 1, kind: "backup", summary: "backup", startedAt: start, seconds: 12, exitCode: 0)],
            measurement: measurement(), log: log)
    }

    /// A passed, a failed, a skipped and an errored scenario.
    static func run(id: String = "run-1", failedName: String = "kill-during-backup", failedMessage: String = "expected failure, got success (exit 0)", log: [String] = ["step 1 backup: ok"]) -> DrillRunResult {
        let passed = scenario("happy-path", verdict: .passed, checks: [
            CheckResult(name: "step 1 backup: outcome", passed: true, expected: "success", actual: "success", seconds: 12),
            CheckResult(name: "RTO", passed: true, expected: "≤ 30m00s", actual: "42.5s"),
        ])
        let failed = scenario(failedName, verdict: .failed, checks: [
            CheckResult(name: "step 1 backup: outcome", passed: false, expected: "failure", actual: "success", message: failedMessage, seconds: 3),
            CheckResult(name: "step 1 backup: archive", passed: true),
        ], log: log)
        let skipped = scenario("disk-full", verdict: .skipped, checks: [], skippedReason: "needs root to mount a tmpfs")
        let errored = scenario("broken-cluster", verdict: .failed, checks: [
            CheckResult(name: "step 1 backup: outcome", passed: true),
        ], error: "initdb failed: exit 1\nno space left")
        return DrillRunResult(runID: id, toolVersion: "1.2.3", host: "drill-host", startedAt: start, finishedAt: start.addingTimeInterval(300), seconds: 300, scenarios: [passed, failed, skipped, errored])
    }
}

/// A fresh directory under /tmp; the caller removes it.
private func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "pra-reports-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs xmllint against the Jenkins schema; returns (exit code, stderr).
private func validate(_ file: String) throws -> (Int32?, String) {
    let outcome = try ExternalProcess(executable: xmllint, arguments: ["--noout", "--schema", schemaPath, file], timeout: 60).run()
    return (outcome.exitCode, outcome.standardError)
}

private func suites(_ document: XMLDocument) throws -> [XMLElement] {
    try document.nodes(forXPath: "/testsuites/testsuite").compactMap { $0 as? XMLElement }
}

private extension XMLElement {
    func value(_ attribute: String) -> String? { self.attribute(forName: attribute)?.stringValue }
    func children(named name: String) -> [XMLElement] { elements(forName: name) }
    func property(_ name: String) -> String? {
        children(named: "properties").first?.children(named: "property").first { $0.value("name") == name }?.value("value")
    }
}

@Suite("drill reports: JUnit XML, JSON, history")
struct ReportTests {
    @Test(
        "JUnit XML validates against the Jenkins schema",
        .requires(.xmllint, .junitSchema))
    func validatesAgainstSchema() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/reports/junit.xml"
        try JUnitReportWriter(run: Sample.run()).write(to: path)
        let (exitCode, stderr) = try validate(path)
        #expect(exitCode == 0, "\(stderr)")
        #expect(stderr.contains("validates"))
    }

    @Test("counts, properties and messages per suite")
    func countsAndContent() throws {
        let xml = JUnitReportWriter(run: Sample.run()).xml
        let document = try XMLDocument(xmlString: xml, options: [])
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        #expect(root.value("name") == "pra drill")
        #expect(root.value("tests") == "7")
        #expect(root.value("failures") == "1")
        #expect(root.value("errors") == "1")
        #expect(root.value("time") == "300.000")
        #expect(root.value("skipped") == nil, "the schema allows no skipped attribute on testsuites")

        let all = try suites(document)
        try #require(all.count == 4)
        let expected: [(name: String, tests: String, failures: String, errors: String, skipped: String)] = [
            ("happy-path", "2", "0", "0", "0"),
            ("kill-during-backup", "2", "1", "0", "0"),
            ("disk-full", "1", "0", "0", "1"),
            ("broken-cluster", "2", "0", "1", "0"),
        ]
        for (index, (suite, want)) in zip(all, expected).enumerated() {
            #expect(suite.value("name") == want.name)
            #expect(suite.value("tests") == want.tests, "\(want.name)")
            #expect(suite.value("failures") == want.failures, "\(want.name)")
            #expect(suite.value("errors") == want.errors, "\(want.name)")
            #expect(suite.value("skipped") == want.skipped, "\(want.name)")
            #expect(suite.value("id") == String(index))
            #expect(suite.value("package") == "pra.drill")
            #expect(suite.value("hostname") == "drill-host")
            #expect(suite.value("time") == "61.250")
            #expect(suite.value("timestamp") == "2025-10-09T08:53:20")
            #expect(suite.children(named: "testcase").allSatisfy { $0.value("classname") == "pra.drill.\(want.name)" })
        }

        let happy = all[0]
        #expect(happy.property("rto_seconds") == "42.500")
        #expect(happy.property("rto_target_seconds") == "1800.000")
        #expect(happy.property("rpo_seconds") == "3.250")
        #expect(happy.property("rpo_target_seconds") == "3600.000")
        #expect(happy.property("rto_phase.load") == "30.200")
        #expect(happy.property("rto_phase.choose backup") == "0.100")
        #expect(happy.property("heartbeats_written") == "120")
        #expect(happy.property("heartbeats_recovered") == "118")
        #expect(happy.property("projected_rto_seconds") == "4050.000")
        #expect(happy.property("projected_worst_case_rpo_seconds") == "3612.000")
        #expect(happy.property("restore_bytes_per_second") == "12345679")
        #expect(happy.property("production_db_bytes") == "50000000000")
        #expect(happy.property("backup_interval_seconds") == "3600.000")
        #expect(happy.property("scale") == "0.02")
        #expect(happy.property("fixture") == "akig")
        #expect(happy.property("file") == "scenarios/happy-path.yaml")
        #expect(happy.property("tags") == "core,nightly")

        let failure = try #require(all[1].children(named: "testcase").first?.children(named: "failure").first)
        let message = try #require(failure.value("message"))
        #expect(message.contains("expected") && message.contains("got"))
        #expect(message == "expected failure, got success")
        #expect(failure.value("type") == "expectation")
        #expect(failure.stringValue?.contains("expected failure, got success (exit 0)") == true)
        let out = try #require(all[1].children(named: "system-out").first?.stringValue)
        #expect(out.hasPrefix("step 1 backup: ok\n"))
        #expect(out.hasSuffix("failed checks:\n  - step 1 backup: outcome: expected failure, got success (exit 0)"))
        #expect(out.contains("RTO 43s (target 30m00s)"))

        let skipped = try #require(all[2].children(named: "testcase").first)
        #expect(skipped.value("name") == "scenario")
        #expect(skipped.children(named: "skipped").first?.stringValue == "needs root to mount a tmpfs")

        let setup = try #require(all[3].children(named: "testcase").last)
        #expect(setup.value("name") == "scenario setup")
        let error = try #require(setup.children(named: "error").first)
        #expect(error.value("message") == "initdb failed: exit 1")
        #expect(error.stringValue == "initdb failed: exit 1\nno space left")
    }

    @Test("measured values are omitted when nothing was measured")
    func unmeasured() throws {
        var run = Sample.run()
        run.scenarios[0].measurement = DrillMeasurement(rtoTargetSeconds: 60, rpoTargetSeconds: 120)
        let document = try XMLDocument(xmlString: JUnitReportWriter(run: run).xml, options: [])
        let suite = try #require(try suites(document).first)
        #expect(suite.property("rto_seconds") == nil)
        #expect(suite.property("rpo_seconds") == nil)
        #expect(suite.property("rto_target_seconds") == "60.000")
        #expect(suite.property("projected_rto_seconds") == nil)
    }

    @Test("a failed scenario without a failing check still fails in JUnit")
    func failedVerdictWithoutFailedCheck() throws {
        var run = Sample.run()
        run.scenarios = [Sample.scenario("odd", verdict: .failed, checks: [CheckResult(name: "only", passed: true)])]
        let document = try XMLDocument(xmlString: JUnitReportWriter(run: run).xml, options: [])
        let suite = try #require(try suites(document).first)
        #expect(suite.value("failures") == "1")
        #expect(suite.value("tests") == "2")
    }

    @Test(
        "hostile text is escaped, round-trips and still validates",
        .requires(.xmllint, .junitSchema))
    func hostileText() throws {
        let run = Sample.run(failedName: "evil " + hostile, failedMessage: "server said " + hostile + "\nsecond line", log: ["line " + hostile, "tab\there\r\nCRLF"])
        let xml = JUnitReportWriter(run: run).xml
        #expect(!xml.contains("]]>"))
        #expect(!xml.contains("<script>"))
        #expect(!xml.unicodeScalars.contains("\u{0}"))
        #expect(!xml.unicodeScalars.contains("\u{1B}"))
        #expect(xml.contains("🚨"))

        let visible = "<script>&\"' ]]> \\x00\\x1B[31m 🚨"
        let document = try XMLDocument(xmlString: xml, options: [])
        let suite = try #require(try suites(document).dropFirst().first)
        #expect(suite.value("name") == "evil " + visible)
        let testcase = try #require(suite.children(named: "testcase").first)
        #expect(testcase.value("classname") == "pra.drill.evil " + visible)
        let failure = try #require(testcase.children(named: "failure").first)
        #expect(failure.stringValue?.hasPrefix("server said " + visible + "\nsecond line") == true)
        let out = try #require(suite.children(named: "system-out").first?.stringValue)
        #expect(out.hasPrefix("line " + visible + "\ntab\there\r\nCRLF\n"))

        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/junit.xml"
        try JUnitReportWriter(run: run).write(to: path)
        let (exitCode, stderr) = try validate(path)
        #expect(exitCode == 0, "\(stderr)")
    }

    @Test("escaping: markup, attribute whitespace, characters XML 1.0 cannot carry")
    func escaping() {
        #expect(JUnitReportWriter.escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f")
        #expect(JUnitReportWriter.escape("]]>") == "]]&gt;")
        #expect(JUnitReportWriter.escape("\u{0}\u{1B}\u{7F}\u{FFFE}\u{FFFF}") == "\\x00\\x1B\\x7F\\uFFFE\\uFFFF")
        #expect(JUnitReportWriter.escape("a\tb\nc\rd") == "a\tb\nc&#13;d")
        #expect(JUnitReportWriter.escape("a\tb\nc", inAttribute: true) == "a&#9;b&#10;c")
        #expect(JUnitReportWriter.escape("é 🚨 \u{D7FF}\u{E000}\u{FFFD}") == "é 🚨 \u{D7FF}\u{E000}\u{FFFD}")
    }

    @Test("the JSON file reads back equal to the run")
    func jsonRoundTrip() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/reports/run.json"
        let run = Sample.run(failedName: "evil " + hostile)
        try RunReportFiles.writeJSON(run, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try JSONCoding.decoder.decode(DrillRunResult.self, from: data) == run)
        #expect(String(decoding: data, as: UTF8.self).contains("\n  \"host\" : \"drill-host\""))
        // Replacing is allowed: a rerun writes the file again.
        try RunReportFiles.writeJSON(Sample.run(id: "run-2"), to: path)
        #expect(try JSONCoding.decoder.decode(DrillRunResult.self, from: Data(contentsOf: URL(fileURLWithPath: path))).runID == "run-2")
    }

    @Test("history: one compact line per run, earlier lines untouched")
    func historyAppend() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/reports/history.jsonl"
        let first = Sample.run(id: "run-1")
        let second = Sample.run(id: "run-2", failedName: "evil " + hostile, failedMessage: "multi\nline")
        try RunReportFiles.appendHistory(first, to: path)
        let afterFirst = try Data(contentsOf: URL(fileURLWithPath: path))
        try RunReportFiles.appendHistory(second, to: path)
        let afterSecond = try Data(contentsOf: URL(fileURLWithPath: path))

        #expect(afterSecond.prefix(afterFirst.count) == afterFirst)
        let text = String(decoding: afterSecond, as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)
        #expect(lines[0].hasPrefix("{\"finishedAt\":\"2025-10-09T08:58:20.250Z\",\"host\":"), "compact, sorted keys, ISO-8601 dates")

        let history = RunReportFiles.readHistory(path: path)
        #expect(history.runs == [first, second])
        #expect(history.skippedLines.isEmpty)
    }

    @Test("history: a truncated last line is skipped and reported; the next append starts a fresh line")
    func historyTruncated() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/history.jsonl"
        let runs = [Sample.run(id: "run-1"), Sample.run(id: "run-2")]
        for run in runs { try RunReportFiles.appendHistory(run, to: path) }
        let line = try RunReportFiles.historyLine(Sample.run(id: "run-3"))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(line.prefix(line.count / 2))
        try handle.close()

        let history = RunReportFiles.readHistory(path: path)
        #expect(history.runs == runs)
        #expect(history.skippedLines == [3])

        let fourth = Sample.run(id: "run-4")
        try RunReportFiles.appendHistory(fourth, to: path)
        let after = RunReportFiles.readHistory(path: path)
        #expect(after.runs == runs + [fourth])
        #expect(after.skippedLines == [3])
    }

    @Test("history: lines carry schemaVersion; a line written before the field reads as version 1")
    func historySchemaVersion() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/history.jsonl"
        // A line as pra wrote it before history lines had a schema version.
        let old = #"{"finishedAt":"2026-11-25T15:39:02.500Z","host":"drill-host","runID":"drill-20261125_153855","scenarios":[{"checks":[{"actual":"success (exit 0)","expected":"success","name":"step 1 backup: outcome","passed":true,"seconds":0.9}],"description":"Full backup, drop, restore.","file":"scenarios/baseline-drop-database.yaml","fixture":"akig","log":["[   0.10s] step 1 backup: ok in 0.9s"],"measurement":{"heartbeatsRecovered":40,"heartbeatsWritten":42,"rpoSeconds":2.1,"rpoTargetSeconds":3600,"rtoPhases":[{"name":"load","seconds":0.4}],"rtoSeconds":0.5,"rtoTargetSeconds":1800},"name":"baseline-drop-database","scale":0.05,"seconds":4,"startedAt":"2026-11-25T15:38:55.000Z","steps":[{"exitCode":0,"index":1,"kind":"backup","seconds":0.9,"startedAt":"2026-11-25T15:38:56.000Z","summary":"backup"}],"tags":["baseline"],"verdict":"passed"}],"seconds":7.2,"startedAt":"2026-11-25T15:38:55.000Z","toolVersion":"1.0.0"}"#
        try Data((old + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let current = Sample.run(id: "run-2")
        try RunReportFiles.appendHistory(current, to: path)

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1].contains("\"schemaVersion\":\(DrillRunResult.currentSchemaVersion)"))
        let history = RunReportFiles.readHistory(path: path)
        #expect(history.skippedLines.isEmpty)
        #expect(history.runs.map(\.schemaVersion) == [1, DrillRunResult.currentSchemaVersion])
        #expect(history.runs.first?.runID == "drill-20261125_153855")
        #expect(history.runs.first?.scenarios.first?.measurement.rpoSeconds == 2.1)
        #expect(history.runs.last == current)
    }

    @Test("history: a missing file has no runs")
    func historyMissing() {
        let history = RunReportFiles.readHistory(path: "/nonexistent/pra/history.jsonl")
        #expect(history.runs.isEmpty && history.skippedLines.isEmpty)
    }
}
