import Foundation
import PRACore
import PRADrill
@testable import PRADrillResults
import PRATestSupport
import Testing

@testable import PRAReport

/// Histories for the per-class RPO: scenarios as the runner records them (the disaster step and
/// the recovery step carry the disaster class, the recovery step its method and its own RPO).
private enum ClassFixtures {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    /// A passed scenario: a backup, a disaster of `disasterClass`, then a recovery by `method`
    /// that lost `rpo` seconds of writes.
    static func scenario(_ name: String, _ disasterClass: DisasterClass, _ method: RecoveryMethod, rpo: Double, projections: Projections) -> ScenarioResult {
        var disaster = StepRecord(index: 2, kind: "disaster", summary: "disaster", startedAt: now, seconds: 0.5)
        disaster.disasterClass = disasterClass
        var recovery = StepRecord(index: 3, kind: "restore", summary: "recovery", startedAt: now, seconds: 4, exitCode: 0)
        recovery.disasterClass = disasterClass
        recovery.recoveryMethod = method
        recovery.rtoSeconds = 5
        recovery.rpoSeconds = rpo
        let steps = [StepRecord(index: 1, kind: "backup", summary: "backup", startedAt: now, seconds: 2, exitCode: 0), disaster, recovery]
        let measurement = DrillMeasurement(rtoSeconds: 5, rtoTargetSeconds: 1800, rpoSeconds: rpo, rpoTargetSeconds: 3600, heartbeatsWritten: 60, heartbeatsRecovered: 50, projections: projections)
        return ScenarioResult(name: name, file: "scenarios/\(name).yaml", description: "", tags: [], verdict: .passed, fixture: "akig", scale: 0.1, startedAt: now, seconds: 10,
                              checks: [CheckResult(name: "RTO within target", passed: true), CheckResult(name: "RPO within target", passed: true)],
                              steps: steps, measurement: measurement, log: [])
    }

    /// Continuous archiving, proven by the scenario's recovery to the latest point.
    static func archiving(timeout: Double = 1, lag: Double = 0.05) -> Projections {
        var projections = Projections(backupIntervalSeconds: 3600)
        projections.archiveTimeoutSeconds = timeout
        projections.archiveLagSeconds = lag
        return projections
    }

    /// Hourly dumps that take 90 s: worst case 3690 s.
    static let dumps = Projections(backupIntervalSeconds: 3600, backupSeconds: 90, worstCaseRPOSeconds: 3690)

    static let pitrCluster = scenario("pitr-lose-cluster-latest", .clusterLost, .pointInTimeLatest, rpo: 0.6, projections: archiving())
    static let dumpCluster = scenario("lose-cluster", .clusterLost, .backup, rpo: 2.5, projections: dumps)
    static let pitrSite = scenario("pitr-lose-site-latest", .siteLost, .pointInTimeLatest, rpo: 1.4, projections: archiving(lag: 0.2))
    static let dumpSite = scenario("s3-lose-site", .siteLost, .backup, rpo: 1.2, projections: dumps)

    static func run(_ scenarios: [ScenarioResult]) -> DrillRunResult {
        DrillRunResult(runID: "classes", toolVersion: "test", host: "test", startedAt: now, finishedAt: now, seconds: 40, scenarios: scenarios)
    }

    static func report(_ scenarios: [ScenarioResult], rpoTarget: Double = 300) throws -> ComplianceReport {
        var settings = ComplianceSettings(now: now.addingTimeInterval(3600), historyPath: "/nowhere/history.jsonl")
        settings.rpoTargetSeconds = rpoTarget
        return try ComplianceReport(runs: [run(scenarios)], settings: settings)
    }
}

private extension ComplianceReport {
    func row(_ disasterClass: DisasterClass) throws -> DisasterClassRPO {
        try #require(rpoByDisasterClass.first { $0.disasterClass == disasterClass })
    }
}

@Suite("the report tells disasters apart: RPO per disaster class")
struct DisasterClassReportTests {
    @Test("only a cluster-loss point-in-time drill: the site-loss row is not proven, claims no seconds, and the verdict is AT RISK")
    func clusterDrillOnly() throws {
        let report = try ClassFixtures.report([ClassFixtures.pitrCluster, ClassFixtures.dumpCluster])
        let cluster = try report.row(.clusterLost)
        #expect(cluster.status == .provenByPointInTimeRecovery)
        #expect(cluster.pointInTimeProof?.scenario == "pitr-lose-cluster-latest")
        #expect(cluster.pointInTimeProof?.measuredRPOSeconds == 0.6)
        #expect(abs((cluster.worstCaseRPOSeconds ?? 0) - 1.05) < 1e-9)
        #expect(cluster.meetsTarget == true)

        let site = try report.row(.siteLost)
        #expect(site.status == .notProven)
        #expect(site.pointInTimeProof == nil && site.backupRestoreProof == nil)
        #expect(site.basis == .backupSchedule)
        #expect(site.worstCaseRPOSeconds == 3690, "the schedule's worst case: the newest off-site dump copy")
        #expect(site.meetsTarget == false)
        #expect(site.sentence.contains("not proven by any drill"), "\(site.sentence)")
        #expect(site.sentence.contains("the newest off-site dump copy"))
        #expect(site.sentence.contains("REMOTE_TARGET with WAL_REMOTE_MODE"))
        #expect(site.sentence.contains("pitr-lose-site-latest"))
        #expect(!site.sentence.contains(ComplianceFormat.duration(1.05)), "no seconds claimed for the site loss: \(site.sentence)")
        #expect(!site.sentence.contains("pitr-lose-cluster-latest"), "a cluster-loss drill proves nothing about a site loss")

        #expect(report.isCompliant, "measurements all within target")
        #expect(report.headline == .atRisk)
        #expect(report.atRiskReasons.contains(site.sentence))
        #expect(report.findings.contains { $0.severity == .warning && $0.text == site.sentence })
        #expect(!report.atRiskReasons.contains(cluster.sentence))

        // A schedule within the target does not make an unproven site loss compliant.
        let lenient = try ClassFixtures.report([ClassFixtures.pitrCluster, ClassFixtures.dumpCluster], rpoTarget: 7200)
        #expect(try lenient.row(.siteLost).meetsTarget == true)
        #expect(lenient.headline == .atRisk)
        #expect(lenient.atRiskReasons.contains { $0.hasPrefix("Site lost") && $0.contains("not proven by any drill") })
    }

    @Test("with a lose-site point-in-time drill: both rows proven, each with its scenario and figures")
    func bothClassesProven() throws {
        let report = try ClassFixtures.report([ClassFixtures.pitrCluster, ClassFixtures.dumpCluster, ClassFixtures.pitrSite])
        let cluster = try report.row(.clusterLost), site = try report.row(.siteLost)
        #expect(cluster.pointInTimeProof?.scenario == "pitr-lose-cluster-latest")
        #expect(site.status == .provenByPointInTimeRecovery)
        #expect(site.pointInTimeProof?.scenario == "pitr-lose-site-latest")
        #expect(site.pointInTimeProof?.measuredRPOSeconds == 1.4)
        // archive_timeout 1 s + lag 0.2 s = 1.2 s, but the drill lost 1.4 s: the larger counts.
        #expect(site.worstCaseRPOSeconds == 1.4)
        #expect(site.sentence.contains("proven by pitr-lose-site-latest"))
        #expect(site.sentence.contains(ComplianceFormat.duration(1.4)))
        #expect(cluster.sentence.contains("proven by pitr-lose-cluster-latest"))
        // Compliant by the drills; without production evidence the headline says AT RISK for that alone.
        #expect(report.drillVerdict == .compliant, "\(report.atRiskReasons)")
        #expect(report.headline == .atRisk && report.atRiskReasons == [report.evidence.absenceReason].compactMap { $0 }, "\(report.atRiskReasons)")

        let markdown = ComplianceMarkdownRenderer(report: report).markdown
        #expect(markdown.contains("## RPO by disaster class"))
        #expect(markdown.contains("| cluster lost | the local backup directory and WAL archive survive | \(ComplianceFormat.duration(1.05))"), "\(markdown)")
        #expect(markdown.contains("| site lost | only the off-site copy (REMOTE\\_TARGET) survives | 1.4s"))
        #expect(markdown.contains("pitr-lose-site-latest (point-in-time recovery to the latest point, 1.4s of writes lost)"))
        let html = ComplianceHTMLRenderer(report: report).html
        #expect(html.contains("<h2 id=\"classes-title\">RPO by disaster class</h2>"))
        #expect(html.contains("<th scope=\"row\">site lost</th>"))
        #expect(html.contains(HTMLEscaping.text(site.provenByText)))
        #expect(html.contains(HTMLEscaping.text(site.sentence)))
    }

    @Test("a site loss recovered from the off-site dump only: the schedule's worst case, seconds not proven by any drill")
    func siteLossByDumpOnly() throws {
        let report = try ClassFixtures.report([ClassFixtures.pitrCluster, ClassFixtures.dumpCluster, ClassFixtures.dumpSite], rpoTarget: 7200)
        let site = try report.row(.siteLost)
        #expect(site.status == .provenByBackupRestore)
        #expect(site.backupRestoreProof?.scenario == "s3-lose-site")
        #expect(site.worstCaseRPOSeconds == 3690)
        #expect(site.sentence.contains("an RPO of seconds is not proven by any drill"))
        #expect(site.sentence.contains("proven by s3-lose-site"))
        #expect(site.verdictText.contains("seconds not proven by any drill"))
        #expect(site.atRiskReason == nil, "proven by a site-loss drill and within the 2 h target")
        #expect(report.drillVerdict == .compliant, "without evidence the headline is AT RISK: \(report.atRiskReasons)")
        // With a 5-minute target the same schedule misses it.
        let strict = try ClassFixtures.report([ClassFixtures.pitrCluster, ClassFixtures.dumpCluster, ClassFixtures.dumpSite])
        #expect(strict.headline == .atRisk)
        #expect(strict.atRiskReasons.contains { $0.hasPrefix("Site lost") && $0.contains("over the 5m00s target") })
    }

    @Test("old history lines without disaster classes parse; their recoveries prove no class")
    func oldLinesParse() throws {
        let current = ClassFixtures.run([ClassFixtures.pitrCluster])
        let line = try RunReportFiles.historyLine(current)
        var object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        object["schemaVersion"] = 5
        var scenarios = try #require(object["scenarios"] as? [[String: Any]])
        scenarios[0]["steps"] = try #require(scenarios[0]["steps"] as? [[String: Any]]).map { step in
            var step = step
            step["disasterClass"] = nil
            step["recoveryMethod"] = nil
            return step
        }
        object["scenarios"] = scenarios
        let old = try JSONSerialization.data(withJSONObject: object)
        #expect(!String(decoding: old, as: UTF8.self).contains("disasterClass"))
        #expect(String(decoding: line, as: UTF8.self).contains("\"disasterClass\":\"cluster-lost\""))
        #expect(String(decoding: line, as: UTF8.self).contains("\"recoveryMethod\":\"pitr-latest\""))

        let path = TestEnvironment.temporaryDirectory("classes-old") + "/history.jsonl"
        try (old + Data("\n".utf8) + line).write(to: URL(fileURLWithPath: path))
        let history = RunReportFiles.readHistory(path: path)
        #expect(history.skippedLines == [])
        #expect(history.runs.map(\.schemaVersion) == [5, DrillRunResult.currentSchemaVersion])
        #expect(history.runs[0].scenarios[0].steps.allSatisfy { $0.disasterClass == nil && $0.recoveryMethod == nil })
        #expect(history.runs[1].scenarios[0].steps[2].disasterClass == .clusterLost)
        #expect(history.runs[1].scenarios[0].steps[2].recoveryMethod == .pointInTimeLatest)

        let report = try ComplianceReport(runs: [history.runs[0]], settings: ComplianceSettings(now: ClassFixtures.now, historyPath: path))
        #expect(try report.row(.clusterLost).status == .notProven)
        #expect(try report.row(.siteLost).status == .notProven)
        #expect(report.headline == .atRisk)
    }

    @Test("every drill disaster belongs to a class: lose-site loses the site, the others the cluster")
    func disasterKinds() {
        #expect(DisasterKind.loseSite.disasterClass == .siteLost)
        for kind in DisasterKind.allCases where kind != .loseSite {
            #expect(kind.disasterClass == .clusterLost, "\(kind)")
        }
    }

    @Test("pra report --json carries the rows; the Markdown and HTML files too")
    func json() throws {
        let directory = TestEnvironment.temporaryDirectory("classes-json")
        let path = try ComplianceFixtures.writeHistory([ClassFixtures.run([ClassFixtures.pitrCluster, ClassFixtures.dumpCluster])], label: "classes")
        var environment = TestEnvironment.baseEnvironment()
        environment["REPORT_DIR"] = directory
        environment["RPO_TARGET"] = "5m"
        environment["BACKUP_INTERVAL"] = "1h"
        // The catalogue is the history's two scenarios, so the run is a full drill.
        let scenarios = directory + "/scenarios"
        try FileManager.default.createDirectory(atPath: scenarios, withIntermediateDirectories: true)
        for name in ["pitr-lose-cluster-latest", "lose-cluster"] {
            try FileManager.default.copyItem(atPath: TestEnvironment.packageRoot + "/scenarios/\(name).yaml", toPath: scenarios + "/\(name).yaml")
        }
        let result = try PraBinary.run(["report", "--history", path, "--scenarios", scenarios, "--json", "--html", directory + "/c.html", "--markdown", directory + "/c.md"], environment: environment)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["verdict"] as? String == "AT RISK")
        let rows = try #require((document["report"] as? [String: Any])?["rpoByDisasterClass"] as? [[String: Any]])
        #expect(rows.map { $0["disasterClass"] as? String } == ["cluster-lost", "site-lost"])
        #expect(rows[0]["status"] as? String == "proven by a point-in-time recovery to the latest point")
        #expect((rows[0]["pointInTimeProof"] as? [String: Any])?["scenario"] as? String == "pitr-lose-cluster-latest")
        #expect(rows[1]["status"] as? String == "not proven by any drill")
        #expect(rows[1]["pointInTimeProof"] == nil)
        #expect(rows[1]["worstCaseRPOSeconds"] as? Double == 3690)
        let markdown = try String(contentsOfFile: directory + "/c.md", encoding: .utf8)
        #expect(markdown.contains("| site lost | only the off-site copy (REMOTE\\_TARGET) survives | 1h01m30s"), "\(markdown)")
        #expect(markdown.contains("| 5m00s | **⚠ not proven by any drill; ✗ schedule over target** | not proven by any drill |"))
        let html = try String(contentsOfFile: directory + "/c.html", encoding: .utf8)
        #expect(html.contains("<td><strong>⚠ not proven by any drill; ✗ schedule over target</strong></td>"))
    }
}

@Suite("the drill records the disaster class per recovery step", .requires(.postgresServer))
struct DisasterClassRecordingTests {
    @Test("a real point-in-time recovery to the latest point after lose-cluster proves the cluster-loss row, and only it")
    func pointInTimeRecorded() throws {
        let scenario = try DrillHarness.parse("""
            name: c-pitr-latest
            description: Continuous archiving; the cluster is lost and recovered to the latest point.
            archiving: {archive_timeout: 1s}
            workload: {heartbeats_per_second: 10}
            steps:
              - backup: {kind: base}
              - wait: 2s
              - disaster: lose-cluster
              - restore: {pitr: latest}
                expect: {outcome: success}
            """)
        let options = DrillHarness.options()
        // The archiving cluster's server (the postgres user when root) writes below the work root.
        chmod(options.workRoot, 0o755)
        let run = DrillRunner(options: options).run([scenario])
        let result = try #require(run.scenarios.first)
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        let recovery = try #require(result.steps.last)
        #expect(recovery.disasterClass == .clusterLost)
        #expect(recovery.recoveryMethod == .pointInTimeLatest)
        let rpo = try #require(recovery.rpoSeconds)

        let path = try ComplianceFixtures.writeHistory([run], label: "classes-pitr")
        let read = RunReportFiles.readHistory(path: path)
        #expect(read.runs.first?.scenarios.first?.steps.last?.recoveryMethod == .pointInTimeLatest)
        let report = try ComplianceReport(runs: read.runs, settings: ComplianceSettings(historyPath: path))
        let cluster = try report.row(.clusterLost)
        #expect(cluster.status == .provenByPointInTimeRecovery)
        #expect(cluster.pointInTimeProof?.scenario == "c-pitr-latest")
        #expect(cluster.pointInTimeProof?.measuredRPOSeconds == rpo)
        #expect(cluster.basis == .continuousArchiving)
        let site = try report.row(.siteLost)
        #expect(site.status == .notProven)
        #expect(site.basis == .backupSchedule)
        #expect(report.headline == .atRisk)
    }

    @Test("a real drop-database drill: the disaster step and the restore after it carry cluster-lost; the restore is a backup restore")
    func recorded() throws {
        let real = try ComplianceFixtures.realHistory()
        let steps = real.latest.scenarios[0].steps
        let disaster = try #require(steps.first { $0.kind == "disaster" })
        #expect(disaster.disasterClass == .clusterLost)
        #expect(disaster.recoveryMethod == nil)
        let restore = try #require(steps.first { $0.index > disaster.index && $0.kind == "restore" })
        #expect(restore.disasterClass == .clusterLost)
        #expect(restore.recoveryMethod == .backup)
        #expect(restore.rpoSeconds != nil)
        #expect(steps.filter { $0.index < disaster.index }.allSatisfy { $0.disasterClass == nil })
        let report = try ComplianceReport(runs: [real.latest], settings: ComplianceSettings(historyPath: real.path))
        let cluster = try report.row(.clusterLost)
        #expect(cluster.status == .provenByBackupRestore)
        #expect(cluster.backupRestoreProof?.scenario == "c-recover")
    }
}
