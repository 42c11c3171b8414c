import Foundation
import PRADrillResults
import PRAReport
import PRATestSupport
import Testing

/// After `pra drill new`, the report names the scenario a full drill now lacks and the fix.
@Suite("catalogue coverage: advice after drill new")
struct DrillCatalogueCoverageTests {
    static func run(_ names: [String], at date: Date) -> DrillRunResult {
        let scenarios = names.map { name in
            ScenarioResult(
                name: name, file: "scenarios/\(name).yaml", description: name, tags: [], verdict: .passed,
                fixture: "akig", scale: 0.01, startedAt: date, seconds: 1, checks: [], steps: [],
                measurement: DrillMeasurement(rtoSeconds: 5, rtoTargetSeconds: 1800, rpoSeconds: 5, rpoTargetSeconds: 3600), log: [])
        }
        return DrillRunResult(runID: "drill-test", toolVersion: "test", host: "test", startedAt: date, finishedAt: date, seconds: 2, scenarios: scenarios)
    }

    @Test("the catalogue's advice names the missing scenarios and the command")
    func advice() {
        let catalogue = DrillCatalogue(names: ["a", "b", "c"], source: .scenarioFiles(path: "scenarios"))
        let runs = [Self.run(["a"], at: Date(timeIntervalSince1970: 1000)), Self.run(["a", "b"], at: Date(timeIntervalSince1970: 2000))]
        #expect(catalogue.mostComplete(runs)?.scenarios.count == 2)
        let advice = catalogue.coverageAdvice(runs)
        #expect(advice.contains("lacked 1 scenario: c"), "\(advice)")
        #expect(advice.contains("pra drill run --report"))
        #expect(catalogue.coverageAdvice([]) == "")
    }

    @Test("pra report after pra drill new: NOT COMPLIANT, naming the new scenario and the fix, exit 1")
    func reportNamesNewScenario() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-report")
        let scenarios = directory + "/scenarios"
        try FileManager.default.createDirectory(atPath: scenarios, withIntermediateDirectories: true)
        for name in ["baseline-drop-database", "corrupt-newest-falls-back"] {
            try FileManager.default.copyItem(atPath: TestEnvironment.packageRoot + "/scenarios/\(name).yaml", toPath: scenarios + "/\(name).yaml")
        }
        let history = directory + "/history.jsonl"
        try RunReportFiles.appendHistory(Self.run(["baseline-drop-database", "corrupt-newest-falls-back"], at: Date().addingTimeInterval(-3600)), to: history)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["REPORT_DIR"] = directory + "/reports"
        let arguments = ["--history", history, "--scenarios", scenarios, "--env-file", "/dev/null"]

        let before = try PraBinary.run(["report"] + arguments, environment: environment)
        #expect(before.exitCode == 0, "\(before.stdout)\(before.stderr)")

        let new = try PraBinary.run(["drill", "new", "my-scenario", "--directory", scenarios], environment: environment)
        #expect(new.exitCode == 0, "\(new.stderr)")
        #expect(new.stdout.contains("joins the catalogue"))

        let after = try PraBinary.run(["report"] + arguments, environment: environment)
        #expect(after.exitCode == 1, "\(after.stdout)\(after.stderr)")
        #expect(after.stderr.contains("my-scenario"), "\(after.stderr)")
        #expect(after.stderr.contains("pra drill run"), "\(after.stderr)")
        let markdown = try String(contentsOfFile: directory + "/reports/compliance.md", encoding: .utf8)
        #expect(markdown.contains("my-scenario"))
    }
}
