import Foundation
import PRADrillResults
import Testing

@testable import PRADrill
@testable import PRAReport

/// A run of three scenarios: one that measures RTO and RPO, one that checks a backup without
/// any disaster, one that recovers with no heartbeat workload (RTO only).
private func readableRun(rpo: Double, now: Date) -> DrillRunResult {
    let recovered = ScenarioResult(
        name: "lose-cluster", file: "scenarios/lose-cluster.yaml", description: "The server is lost; the latest backup is restored.", tags: [], verdict: .passed,
        fixture: "akig", scale: 0.1, startedAt: now, seconds: 6,
        checks: [CheckResult(name: "RTO within target", passed: true), CheckResult(name: "RPO within target", passed: true)],
        steps: [StepRecord(index: 1, kind: "disaster", summary: "disaster", startedAt: now, seconds: 0.1)],
        measurement: DrillMeasurement(rtoSeconds: 2.63, rtoTargetSeconds: 1800, rpoSeconds: rpo, rpoTargetSeconds: 3600), log: [])
    let checksOnly = ScenarioResult(
        name: "verify-catches-every-corruption", file: "scenarios/verify-catches-every-corruption.yaml", description: "pra verify rejects truncated, bit-flipped and zeroed archives", tags: [], verdict: .passed,
        fixture: "akig", scale: 0.05, startedAt: now, seconds: 4,
        checks: [CheckResult(name: "step 1 backup: outcome", passed: true), CheckResult(name: "step 2 verify: outcome", passed: true), CheckResult(name: "step 3 verify: outcome", passed: true)],
        steps: [StepRecord(index: 1, kind: "backup", summary: "backup", startedAt: now, seconds: 1, exitCode: 0)],
        measurement: DrillMeasurement(rtoTargetSeconds: 1800, rpoTargetSeconds: 3600), log: [])
    let rtoOnly = ScenarioResult(
        name: "kill-connection-during-restore", file: "scenarios/kill-connection-during-restore.yaml", description: "A restore whose connection is killed is retried and completes.", tags: [], verdict: .passed,
        fixture: "akig", scale: 0.3, startedAt: now, seconds: 5,
        checks: [CheckResult(name: "RTO within target", passed: true)],
        steps: [StepRecord(index: 1, kind: "disaster", summary: "disaster", startedAt: now, seconds: 0.1)],
        measurement: DrillMeasurement(rtoSeconds: 3.2, rtoTargetSeconds: 1800, rpoTargetSeconds: 3600), log: [])
    return DrillRunResult(runID: "drill-readable", toolVersion: "test", host: "test", startedAt: now, finishedAt: now, seconds: 10, scenarios: [recovered, checksOnly, rtoOnly], jobs: 4)
}

private func readableReport(rpo: Double = 0.054, configuration: ProductionConfiguration? = nil) throws -> ComplianceReport {
    let now = Date()
    var settings = ComplianceSettings(now: now, historyPath: "/nowhere/history.jsonl")
    settings.productionConfiguration = configuration
    return try ComplianceReport(runs: [readableRun(rpo: rpo, now: now)], settings: settings)
}

@Suite("the report written for its reader: one rounding rule, what each row proves, a glossary, the configuration assumed")
struct ReportReadabilityTests {
    @Test("one rounding rule: the table of the rule, and ComplianceFormat is the same function")
    func roundingRule() {
        let cases: [(Double, String)] = [
            (0, "0s"), (0.054, "0.05s"), (0.056, "0.06s"), (0.38, "0.38s"), (0.996, "1.0s"), (1, "1.0s"), (2.63, "2.6s"), (9.96, "10s"),
            (42.4, "42s"), (312, "5m12s"), (3612, "1h00m12s"), (183_600, "2d03h"), (-12, "−12s"), (.infinity, "∞"), (.nan, "-"),
        ]
        for (seconds, text) in cases {
            #expect(MeasuredDuration.format(seconds) == text, "\(seconds)")
            #expect(ComplianceFormat.duration(seconds) == text, "\(seconds)")
        }
    }

    @Test("the same RPO reads the same in the Markdown, the HTML, the report's terminal summary and the drill's terminal lines")
    func sameFigureEverywhere() throws {
        let report = try readableReport(rpo: 0.054)
        let markdown = ComplianceMarkdownRenderer(report: report).markdown
        let html = ComplianceHTMLRenderer(report: report).html
        let summary = ComplianceReportFiles.summary(report, html: nil, markdown: nil)
        let run = readableRun(rpo: 0.054, now: Date())
        let drillLine = DrillRunner.verdictLine(run.scenarios[0])
        let drillTable = DrillRunner.summaryTable(run)
        for (name, text) in [("markdown", markdown), ("html", html), ("summary", summary), ("drill line", drillLine), ("drill table", drillTable)] {
            #expect(text.contains("0.05s"), "\(name): \(text)")
            #expect(!text.contains("0.1s") && !text.contains("54ms"), "\(name) rounds differently: \(text)")
        }
    }

    @Test("a row that measures no RTO or RPO says what it proves instead, in the Markdown and the HTML")
    func whyColumn() throws {
        let report = try readableReport()
        let rows = Dictionary(uniqueKeysWithValues: report.scenarios.map { ($0.name, $0) })
        #expect(rows["lose-cluster"]?.proves == nil, "both figures measured: they speak for themselves")
        let checksOnly = try #require(rows["verify-catches-every-corruption"]?.proves)
        #expect(checksOnly.contains("Proves: pra verify rejects truncated, bit-flipped and zeroed archives."), "\(checksOnly)")
        #expect(checksOnly.contains("3 of 3 checks passed"), "\(checksOnly)")
        #expect(checksOnly.contains("injects no disaster"), "\(checksOnly)")
        let rtoOnly = try #require(rows["kill-connection-during-restore"]?.proves)
        #expect(rtoOnly.contains("No RPO: no heartbeat workload"), "\(rtoOnly)")

        let markdown = ComplianceMarkdownRenderer(report: report).markdown
        let row = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("| verify-catches-every-corruption |") })
        #expect(row.hasSuffix("injects no disaster to recover from; its checks are the proof. |"), "\(row)")
        let html = ComplianceHTMLRenderer(report: report).html
        #expect(html.contains("<span class=\"proves\">Proves: pra verify rejects"), "the HTML Why cell")
    }

    @Test("a glossary line for each technical term the report uses, the same in Markdown, HTML and JSON; no unexplained jargon")
    func glossary() throws {
        let report = try readableReport()
        let renderer = ComplianceMarkdownRenderer(report: report)
        let markdown = renderer.markdown
        #expect(markdown.contains("## Glossary"))
        let terms = renderer.glossary.map(\.term)
        for term in ["RPO (recovery point objective)", "RTO (recovery time objective)", "Drill", "Scenarios at a time", "WAL (write-ahead log)", "archive_timeout"] {
            #expect(terms.contains(term), "\(term) in \(terms)")
            #expect(markdown.contains("**\(ComplianceMarkdownRenderer.escape(term))**"), "\(term) in the Markdown glossary")
        }
        #expect(ComplianceGlossary.entries(for: "RTO 2.6s").map(\.term) == ["RTO (recovery time objective)"], "a term a text does not use gets no line")
        let html = ComplianceHTMLRenderer(report: report).html
        for term in terms {
            #expect(html.contains("<dt>\(HTMLEscaping.text(term))</dt>"), "\(term) in the HTML glossary")
        }
        let json = String(decoding: try JSONEncoder().encode(renderer.glossary), as: UTF8.self)
        #expect(json.contains("\"term\":\"archive_timeout\""), "\(json)")
        #expect(!json.contains("markers"))
        // The phrase the issue found unexplained is gone; what it meant is said.
        #expect(!markdown.contains("sharing of the machine"))
        #expect(markdown.contains("4 scenarios at a time (each measured RTO includes waiting for the CPU and disk"))
    }

    @Test("the production configuration the verdict assumes is stated at the top of every rendering, from a typed value")
    func configuration() throws {
        let bare = try readableReport()
        #expect(!ComplianceMarkdownRenderer(report: bare).markdown.contains("Production configuration assumed"), "not stated when not given")
        let configuration = ProductionConfiguration(backupIntervalSeconds: 3600, continuousArchiving: true, offSite: true, offSiteTarget: ProductionConfiguration.describeTarget("ssh://backup@vault.internal/srv/pra"))
        #expect(configuration.sentence == "This verdict assumes this production configuration (from the settings at report time): full backups every 1h00m00s; continuous WAL archiving on; off-site copy to ssh://vault.internal.")
        let report = try readableReport(configuration: configuration)
        let markdown = ComplianceMarkdownRenderer(report: report).markdown
        let html = ComplianceHTMLRenderer(report: report).html
        let summary = ComplianceReportFiles.summary(report, html: nil, markdown: nil)
        let verdictAt = try #require(markdown.range(of: "## Verdict"))
        let assumedAt = try #require(markdown.range(of: "**Production configuration assumed:**"))
        #expect(assumedAt.lowerBound < verdictAt.lowerBound, "above the verdict")
        #expect(try #require(html.range(of: "Production configuration assumed")).lowerBound < (try #require(html.range(of: "verdict-title"))).lowerBound)
        #expect(summary.split(separator: "\n")[1].contains("continuous WAL archiving on"), "\(summary)")
        let off = ProductionConfiguration(backupIntervalSeconds: 3600, continuousArchiving: nil, offSite: false)
        #expect(off.sentence.contains("continuous WAL archiving not known"))
        #expect(off.sentence.contains("no off-site copy"))
        #expect(ProductionConfiguration.describeTarget("s3://acme-pra-backups/db01") == "s3://acme-pra-backups")
        #expect(ProductionConfiguration.describeTarget("/mnt/offsite") == "a directory")
    }
}
