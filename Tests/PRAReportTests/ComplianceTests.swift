import Foundation
import PRACore
import PRADrill
import PRADrillResults
import PRATestSupport
import Testing

@testable import PRAReport

/// Settings for a report on `path`, at `now`.
private func settings(_ path: String, now: Date, catalogue: DrillCatalogue? = nil) -> ComplianceSettings {
    var settings = ComplianceSettings(now: now, historyPath: path)
    settings.catalogue = catalogue
    return settings
}

@Suite("compliance report on a real drill history", .requires(.postgresServer))
struct ComplianceHistoryTests {
    @Test("verdicts: RPO missed in the latest run, RTO met, failed scenario named, truncated line skipped")
    func verdicts() throws {
        let real = try ComplianceFixtures.realHistory()
        let report = try ComplianceReportFiles.build(settings: settings(real.path, now: real.latest.finishedAt.addingTimeInterval(3600)))

        #expect(report.skippedLines == [3])
        #expect(report.totalRunCount == 2)
        #expect(report.latest.runID == real.latest.runID)

        let missed = real.latest.scenarios[1]
        #expect(report.rpo.status == .notCompliant)
        #expect(report.rpo.scenario == "c-rpo-missed")
        #expect(report.rpo.measuredSeconds == missed.measurement.rpoSeconds)
        #expect(report.rpo.targetSeconds == 0.5)
        #expect(report.rpo.overTarget == ["c-rpo-missed"])
        #expect(report.rpo.sentence.hasPrefix("RPO: not compliant — in the latest drill"))
        #expect(report.rpo.sentence.contains("c-rpo-missed lost \(ComplianceFormat.duration(missed.measurement.rpoSeconds ?? 0)) of writes against a target of 0.50s, over by"))

        #expect(report.rto.status == .compliant)
        #expect(report.rto.measuredCount == 2)
        let slowest = real.latest.scenarios.compactMap(\.measurement.rtoSeconds).max()
        #expect(report.rto.measuredSeconds == slowest)
        #expect(report.rto.sentence.contains("against a target of 30m00s, a margin of"))

        #expect(!report.isCompliant)
        let failing = report.findings.filter { $0.severity == .failing }.map(\.text)
        #expect(failing.contains { $0.contains("2 scenarios failed in the latest run") && $0.contains("c-wrong-expectation (step 1 backup: outcome: expected failure, got success") })
        #expect(failing.contains { $0.contains("No full drill in the history passed") })
        #expect(report.findings.contains { $0.severity == .notice && $0.text.hasPrefix("Line 3 of \(real.path) could not be read") })

        // The catalogue comes from the largest run: the latest is full, the older one partial.
        #expect(report.catalogue.names == ["c-recover", "c-rpo-missed", "c-wrong-expectation"])
        #expect(report.latestPoint.isFull)
        #expect(report.lastFullDrill?.runID == real.latest.runID)
        #expect(report.lastPassingFullDrill == nil)
    }

    @Test("per scenario: verdicts, measurements, RTO phases, failure messages")
    func scenarioRows() throws {
        let real = try ComplianceFixtures.realHistory()
        let report = try ComplianceReport(runs: [real.older, real.latest], settings: settings(real.path, now: Date()))
        #expect(report.scenarios.map(\.name) == ["c-recover", "c-rpo-missed", "c-wrong-expectation"])
        #expect(report.scenarios.map(\.verdict) == [.passed, .failed, .failed])
        let recover = report.scenarios[0]
        #expect(recover.rtoSeconds == real.latest.scenarios[0].measurement.rtoSeconds)
        #expect(recover.rtoPhases.map(\.name).contains("load"))
        #expect(recover.failure == nil)
        // The check's message follows the one rounding rule of every rendering (MeasuredDuration).
        #expect(report.scenarios[1].failedChecks == ["RPO within target: expected RPO ≤ 0.50s, got \(MeasuredDuration.format(real.latest.scenarios[1].measurement.rpoSeconds ?? 0))"])
        #expect(report.scenarios[2].failure?.hasPrefix("step 1 backup: outcome: expected failure, got success") == true)

        let markdown = ComplianceMarkdownRenderer(report: report).markdown
        #expect(markdown.contains("## Verdict: ✗ NOT COMPLIANT"))
        #expect(markdown.contains("| c-recover | PASSED ✓ |"))
        #expect(markdown.contains("expected failure, got success"))
        let html = ComplianceHTMLRenderer(report: report).html
        #expect(html.contains("NOT COMPLIANT"))
        #expect(html.contains(HTMLEscaping.text(report.rpo.sentence)))
        #expect(html.contains(HTMLEscaping.text(report.rto.sentence)))
        #expect(html.contains("<th scope=\"col\">Phase</th>"))
    }

    @Test("a run of several scenarios at a time says so beside its RTOs; one at a time says nothing")
    func sharingNote() throws {
        let real = try ComplianceFixtures.realHistory()
        var shared = real.latest
        shared.jobs = 4
        let report = try ComplianceReport(runs: [real.older, shared], settings: settings(real.path, now: Date()))
        #expect(report.latest.jobs == 4)
        let note = "4 scenarios at a time (each measured RTO includes waiting for the CPU and disk the other scenarios were using, so it is longer than the same recovery run alone)"
        #expect(ComplianceMarkdownRenderer(report: report).markdown.contains(note))
        #expect(ComplianceHTMLRenderer(report: report).html.contains(note))
        let alone = try ComplianceReport(runs: [real.older, real.latest], settings: settings(real.path, now: Date()))
        #expect(!ComplianceMarkdownRenderer(report: alone).markdown.contains("at a time"))
    }

    @Test("trend points: one per run, pass rate, worst figures, per-scenario series")
    func trendPoints() throws {
        let real = try ComplianceFixtures.realHistory()
        let report = try ComplianceReport(runs: [real.latest, real.older], settings: settings(real.path, now: Date()))
        let runs = report.trend.runs
        #expect(runs.map(\.runID) == [real.older.runID, real.latest.runID], "oldest first, whatever the input order")
        #expect(runs[0].isFull == false)
        #expect(runs[0].missingScenarios == ["c-rpo-missed", "c-wrong-expectation"])
        #expect(runs[0].passRate == 1)
        #expect(runs[1].passed == 1 && runs[1].failed == 2 && runs[1].skipped == 0)
        #expect(abs((runs[1].passRate ?? 0) - 1.0 / 3) < 1e-9)
        #expect(runs[1].worstRTOSeconds == real.latest.scenarios.compactMap(\.measurement.rtoSeconds).max())
        #expect(runs[1].worstRPOSeconds == real.latest.scenarios.compactMap(\.measurement.rpoSeconds).max())

        let recover = try #require(report.trend.scenarios.first { $0.name == "c-recover" })
        #expect(recover.points.map(\.rtoSeconds) == [real.older.scenarios[0].measurement.rtoSeconds, real.latest.scenarios[0].measurement.rtoSeconds])
        #expect(recover.points.map(\.rpoSeconds) == [real.older.scenarios[0].measurement.rpoSeconds, real.latest.scenarios[0].measurement.rpoSeconds])
        #expect(recover.measuresRTO && recover.measuresRPO)
        let wrong = try #require(report.trend.scenarios.first { $0.name == "c-wrong-expectation" })
        #expect(!wrong.measuresRTO && wrong.points.count == 1)
        // Only one full run: nothing to compare yet.
        #expect(report.trend.comparison == nil)

        // --since after the older run: the trend keeps only the latest, the record stays whole.
        var windowed = settings(real.path, now: Date())
        windowed.since = real.older.startedAt.addingTimeInterval(0.001)
        let recent = try ComplianceReport(runs: [real.older, real.latest], settings: windowed)
        #expect(recent.trend.runs.map(\.runID) == [real.latest.runID])
        #expect(recent.totalRunCount == 2)
        windowed.since = Date().addingTimeInterval(86400)
        #expect(throws: ComplianceError.self) { try ComplianceReport(runs: [real.older, real.latest], settings: windowed) }
    }

    @Test("projection inputs come from the restore that ended the RTO")
    func projectionFromRealScenario() throws {
        let real = try ComplianceFixtures.realHistory()
        let scenario = real.latest.scenarios[0]
        let recorded = try #require(scenario.measurement.projections)
        let rate = try #require(recorded.restoreBytesPerSecond)
        let restore = try #require(scenario.steps.first { $0.kind == "restore" })
        var s = settings(real.path, now: Date())
        s.productionDatabaseBytes = 50 * 1024 * 1024 * 1024
        s.backupIntervalSeconds = 1800
        s.copySeconds = 120
        let inputs = try #require(ScenarioCompliance.projectionInputs(scenario, settings: s))
        #expect(inputs.drillDatabaseBytes == rate * restore.seconds)
        // The restore step also spans the runner's own checks after the child exits, so the RTO
        // can be shorter than the step: the overhead is then 0, never negative.
        #expect(abs(inputs.recoveryOverheadSeconds - max(0, (scenario.measurement.rtoSeconds ?? 0) - restore.seconds)) < 1e-9)
        #expect(inputs.backupSeconds == recorded.backupSeconds)
        let projection = ScheduleProjection(inputs)
        let expectedRTO = inputs.recoveryOverheadSeconds + 50 * 1024 * 1024 * 1024 / rate
        #expect(abs((projection.projectedRTOSeconds ?? 0) - expectedRTO) < 1e-6)
        let expectedBackup = (recorded.backupSeconds ?? 0) * 50 * 1024 * 1024 * 1024 / (rate * restore.seconds)
        #expect(abs(projection.backupSeconds - expectedBackup) < 1e-6)
        #expect(abs(projection.worstCaseRPOSeconds - (1800 + expectedBackup + 120)) < 1e-6)
        #expect(projection.backupBasis == .productionSize)
    }

    @Test("hostile text in names, messages and reasons is escaped in HTML and Markdown")
    func escaping() throws {
        let real = try ComplianceFixtures.realHistory()
        let hostile = ComplianceFixtures.hostileCopy(of: real.latest)
        let report = try ComplianceReport(runs: [real.older, hostile], settings: settings(real.path, now: Date()))
        let html = ComplianceHTMLRenderer(report: report).html
        #expect(!html.contains("<script"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
        #expect(!html.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" } , "no NUL, ESC or other control character")
        #expect(html.contains("\\x00\\x1B[31m"))
        #expect(html.contains("Skipped: reason &lt;script&gt;"))
        let markdown = ComplianceMarkdownRenderer(report: report).markdown
        #expect(!markdown.contains("<script"))
        #expect(markdown.contains("&lt;script&gt;alert('x')&lt;/script&gt; &amp; \"quoted\" \\| \\*bold\\* \\[link\\](javascript:x)"))
        #expect(!markdown.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        // Each table row still has its columns: no pipe or newline from the text split a cell.
        let row = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("| c-rpo-missed ") })
        let unescapedPipes = row.enumerated().filter { index, character in
            character == "|" && (index == 0 || row[row.index(row.startIndex, offsetBy: index - 1)] != "\\")
        }
        #expect(unescapedPipes.count == 8)
    }

    @Test("pra report writes both files; exit 1 when not compliant, 2 for an empty or unreadable history")
    func command() throws {
        let real = try ComplianceFixtures.realHistory()
        let directory = TestEnvironment.temporaryDirectory("compliance-cli")
        var environment = TestEnvironment.baseEnvironment()
        environment["REPORT_DIR"] = directory
        let result = try PraBinary.run(["report", "--history", real.path, "--scenarios", directory + "/none"], environment: environment)
        #expect(result.exitCode == 2, "a --scenarios path without scenarios is a usage error: \(result.stderr)")

        let written = try PraBinary.run(["report", "--history", real.path], environment: environment)
        #expect(written.exitCode == 1, "\(written.stderr)")
        #expect(written.stdout.contains("compliance: NOT COMPLIANT"))
        #expect(written.stderr.contains("pra: error: not compliant: RPO: not compliant"))
        let html = try String(contentsOfFile: directory + "/compliance.html", encoding: .utf8)
        let markdown = try String(contentsOfFile: directory + "/compliance.md", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(markdown.hasPrefix("# Disaster-recovery compliance report"))
        #expect(html.contains("Line 3 of"))

        let json = try PraBinary.run(["report", "--history", real.path, "--json", "--html", directory + "/j.html", "--markdown", directory + "/j.md"], environment: environment)
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(document?["compliant"] as? Bool == false)
        #expect(((document?["report"] as? [String: Any])?["rpo"] as? [String: Any])?["status"] as? String == "not compliant")

        let empty = directory + "/empty.jsonl"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let none = try PraBinary.run(["report", "--history", empty], environment: environment)
        #expect(none.exitCode == 2)
        #expect(none.stderr.contains("no drill run recorded in \(empty)"))
        #expect(none.stderr.contains("run `pra drill run` first"))

        let garbage = directory + "/garbage.jsonl"
        try Data("{\"runID\": \"cut\n\n{not json}\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let unreadable = try PraBinary.run(["report", "--history", garbage, "--html", directory + "/g.html"], environment: environment)
        #expect(unreadable.exitCode == 2)
        #expect(unreadable.stderr.contains("lines 1 and 3 could not be read"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/g.html"), "no empty page")

        let since = try PraBinary.run(["report", "--history", real.path, "--since", "2999-01-01"], environment: environment)
        #expect(since.exitCode == 2)
        #expect(since.stderr.contains("no drill run in \(real.path) since 2999-01-01 00:00 UTC"))
        let badDate = try PraBinary.run(["report", "--history", real.path, "--since", "last tuesday"], environment: environment)
        #expect(badDate.exitCode == 2)
    }

    @Test("pra drill run --report builds both reports at the end of the run")
    func drillRunReport() throws {
        let directory = TestEnvironment.temporaryDirectory("compliance-drill")
        let scenario = directory + "/scenario.yaml"
        try ComplianceFixtures.recoverYAML.replacingOccurrences(of: "heartbeats_per_second: 10", with: "heartbeats_per_second: 5")
            .write(toFile: scenario, atomically: true, encoding: .utf8)
        var environment = TestEnvironment.baseEnvironment()
        environment["REPORT_DIR"] = directory + "/reports"
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        let result = try PraBinary.run(["drill", "run", scenario, "--scale", "0.02", "--report", "--quiet"], environment: environment)
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.contains("compliance: "))
        #expect(result.stdout.contains("report: \(directory)/reports/compliance.html, \(directory)/reports/compliance.md"))
        let html = try String(contentsOfFile: directory + "/reports/compliance.html", encoding: .utf8)
        #expect(html.contains("c-recover"))
        #expect(FileManager.default.fileExists(atPath: directory + "/reports/compliance.md"))
    }
}

@Suite("compliance report rules")
struct ComplianceRuleTests {
    /// Table: inputs → projected RTO, backup duration and basis, worst-case RPO, verdicts, the
    /// longest interval that meets the RPO target.
    struct ProjectionCase: Sendable, CustomTestStringConvertible {
        var label: String
        var inputs: ScheduleProjection.Inputs
        var rto: Double?
        var backup: Double
        var basis: ScheduleProjection.BackupBasis
        var worstRPO: Double
        var rtoMeets: Bool?
        var rpoMeets: Bool
        var longestInterval: Double
        var testDescription: String { label }
    }

    static let gib = 1024.0 * 1024 * 1024
    static let projectionCases: [ProjectionCase] = [
        ProjectionCase(label: "50 GiB at 40 MiB/s, hourly backups of 15 min",
                       inputs: .init(productionBytes: 50 * gib, restoreBytesPerSecond: 40 * 1024 * 1024, recoveryOverheadSeconds: 2, drillDatabaseBytes: 100 * 1024 * 1024, backupSeconds: 0.5, backupIntervalSeconds: 3600, rtoTargetSeconds: 1800, rpoTargetSeconds: 3600),
                       rto: 2 + 1280, backup: 0.5 * 512, basis: .productionSize, worstRPO: 3600 + 256, rtoMeets: true, rpoMeets: false, longestInterval: 3600 - 256),
        ProjectionCase(label: "slow restore misses the RTO target",
                       inputs: .init(productionBytes: 200 * gib, restoreBytesPerSecond: 50 * 1024 * 1024, backupIntervalSeconds: 1800, rtoTargetSeconds: 1800, rpoTargetSeconds: 3600),
                       rto: 4096, backup: 0, basis: .unknown, worstRPO: 1800, rtoMeets: false, rpoMeets: true, longestInterval: 3600),
        ProjectionCase(label: "no production size: drill-size backup, no projected RTO",
                       inputs: .init(restoreBytesPerSecond: 1e6, recoveryOverheadSeconds: 1, drillDatabaseBytes: 1e7, backupSeconds: 0.75, backupIntervalSeconds: 3000, copySeconds: 60, rtoTargetSeconds: 1800, rpoTargetSeconds: 3600),
                       rto: nil, backup: 0.75, basis: .drillSize, worstRPO: 3060.75, rtoMeets: nil, rpoMeets: true, longestInterval: 3600 - 0.75 - 60),
        ProjectionCase(label: "backup and copy longer than the target: no schedule meets it",
                       inputs: .init(productionBytes: 1000 * gib, restoreBytesPerSecond: 1e9, drillDatabaseBytes: 1 * gib, backupSeconds: 3, backupIntervalSeconds: 600, copySeconds: 900, rtoTargetSeconds: 1800, rpoTargetSeconds: 3600),
                       rto: 1000 * gib / 1e9, backup: 3000, basis: .productionSize, worstRPO: 600 + 3000 + 900, rtoMeets: true, rpoMeets: false, longestInterval: 3600 - 3900),
        ProjectionCase(label: "exactly on target meets it",
                       inputs: .init(backupSeconds: 600, backupIntervalSeconds: 3000, rtoTargetSeconds: 1800, rpoTargetSeconds: 3600),
                       rto: nil, backup: 600, basis: .drillSize, worstRPO: 3600, rtoMeets: nil, rpoMeets: true, longestInterval: 3000),
    ]

    @Test("projection arithmetic", arguments: projectionCases)
    func projection(_ c: ProjectionCase) {
        let p = ScheduleProjection(c.inputs)
        if let rto = c.rto {
            #expect(abs((p.projectedRTOSeconds ?? -1) - rto) < 1e-6)
        } else {
            #expect(p.projectedRTOSeconds == nil)
        }
        #expect(abs(p.backupSeconds - c.backup) < 1e-6)
        #expect(p.backupBasis == c.basis)
        #expect(abs(p.worstCaseRPOSeconds - c.worstRPO) < 1e-6)
        #expect(p.rtoMeetsTarget == c.rtoMeets)
        #expect(p.rpoMeetsTarget == c.rpoMeets)
        #expect(abs(p.longestIntervalMeetingTarget - c.longestInterval) < 1e-6)
        #expect(p.anyScheduleCanMeetTarget == (c.longestInterval > 0))
        #expect(p.copyTimeAssumed == (c.inputs.copySeconds == nil))
        #expect(p.rpoSentence.hasPrefix("Projected worst-case RPO for BACKUP_INTERVAL"))
        if !c.rpoMeets {
            #expect(p.rpoSentence.contains(c.longestInterval > 0 ? "back up at least every \(ComplianceFormat.duration(c.longestInterval))" : "no backup interval can meet"))
        }
    }

    static let durationCases: [(Double, String)] = [
        (0, "0s"), (0.385, "0.39s"), (2.6, "2.6s"), (42.4, "42s"), (312, "5m12s"), (3600, "1h00m00s"), (3612, "1h00m12s"), (86400 + 3 * 3600, "1d03h"), (-12, "−12s"),
    ]

    @Test("durations keep their seconds at every size", arguments: durationCases)
    func durations(_ seconds: Double, _ text: String) {
        #expect(ComplianceFormat.duration(seconds) == text)
    }

    static let dateCases: [(String, Date)] = [
        ("2026-01-31", Date(timeIntervalSince1970: 1_769_817_600)), ("2026-01-31T08:00:00Z", Date(timeIntervalSince1970: 1_769_846_400)),
    ]

    @Test("--since dates", arguments: dateCases)
    func sinceDates(_ text: String, _ date: Date) {
        #expect(ComplianceFormat.parseDate(text) == date)
    }

    @Test("--since rejects what is not a date", arguments: ["", "2026-02-30", "2026-13-01", "yesterday", "31/01/2026"])
    func badDates(_ text: String) {
        #expect(ComplianceFormat.parseDate(text) == nil)
    }

    @Test("HTML escaping: markup, quotes, control characters and noncharacters")
    func htmlEscaping() {
        #expect(HTMLEscaping.text("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
        #expect(HTMLEscaping.text("a\u{0}b\u{1B}c\u{7F}d\u{85}e\u{FFFE}f\tg\nh") == #"a\x00b\x1Bc\x7Fd\u0085e\uFFFEf"# + "\tg\nh")
        #expect(HTMLEscaping.attribute("line\nbreak\"") == "line break&quot;")
        #expect(HTMLEscaping.text("🚨 é") == "🚨 é")
    }

    @Test("an empty or unreadable history is an error that says so, never an empty page")
    func emptyHistory() throws {
        let directory = TestEnvironment.temporaryDirectory("compliance-empty")
        let missing = ComplianceSettings(historyPath: directory + "/missing.jsonl")
        #expect(throws: ComplianceError.emptyHistory(path: directory + "/missing.jsonl", skippedLines: [])) { try ComplianceReportFiles.build(settings: missing) }
        let broken = directory + "/broken.jsonl"
        try Data("not json\n\n{\"runID\":\"x\"}\n{\"cut".utf8).write(to: URL(fileURLWithPath: broken))
        do {
            _ = try ComplianceReportFiles.build(settings: ComplianceSettings(historyPath: broken))
            Issue.record("expected an error")
        } catch {
            #expect(error == .emptyHistory(path: broken, skippedLines: [1, 3, 4]))
            #expect(error.description.contains("lines 1, 3 and 4 could not be read (truncated or malformed JSON)"))
        }
    }
}
