import Foundation
import PRACore
import PRADrill
import PRATestSupport

@testable import PRADrillResults
@testable import PRAReport

/// Drill histories for the compliance-report tests.
///
/// `real` runs short in-memory scenarios through the real runner on scratch clusters (once per
/// test process, shared by every test that needs it) and appends the runs to a history file
/// with `RunReportFiles.appendHistory`, then a run cut short mid-write. `year` turns those real
/// results into twelve monthly runs of the shipped catalogue.
enum ComplianceFixtures {
    /// A history recorded by real drill runs.
    struct RealHistory: Sendable {
        /// `older`, `latest`, then half a line (a run killed mid-write): line 3 is unreadable.
        let path: String
        /// A partial run: `c-recover` only.
        let older: DrillRunResult
        /// The full run: `c-recover` (passes), `c-rpo-missed` (RPO over its 0.5 s target) and
        /// `c-wrong-expectation` (a backup expected to fail succeeds).
        let latest: DrillRunResult
        let directory: String
    }

    struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    static let recoverYAML = """
        name: c-recover
        description: Backup under heartbeats, the database is dropped and restored.
        workload: {heartbeats_per_second: 10}
        steps:
          - backup: {}
          - wait: 1s
          - disaster: drop-database
          - restore: {}
            expect: {outcome: success}
        """

    static let rpoMissedYAML = """
        name: c-rpo-missed
        description: The RPO target is tighter than the gap between backup and disaster.
        targets: {rpo: 0.5s, rto: 30m}
        workload: {heartbeats_per_second: 20}
        steps:
          - backup: {}
          - wait: 1.5s
          - disaster: drop-database
          - restore: {}
        """

    static let wrongExpectationYAML = """
        name: c-wrong-expectation
        description: Expects a healthy backup to fail, so the scenario fails.
        steps:
          - backup: {}
            expect: {outcome: failure}
        """

    /// Built on first use; every test shares it.
    static let real: Result<RealHistory, FixtureError> = {
        do {
            return .success(try buildReal())
        } catch let error as FixtureError {
            return .failure(error)
        } catch {
            return .failure(FixtureError(description: "\(error)"))
        }
    }()

    static func realHistory() throws -> RealHistory {
        try real.get()
    }

    private static func buildReal() throws -> RealHistory {
        let options = DrillHarness.options()
        let recover = try DrillHarness.parse(recoverYAML)
        let missed = try DrillHarness.parse(rpoMissedYAML)
        let wrong = try DrillHarness.parse(wrongExpectationYAML)
        let older = DrillRunner(options: options).run([recover])
        let latest = DrillRunner(options: options).run([recover, missed, wrong])
        guard older.scenarios.first?.measurement.rtoSeconds != nil, latest.scenarios.count == 3,
              latest.scenarios[0].verdict == .passed, latest.scenarios[1].measurement.rpoSeconds != nil else {
            throw FixtureError(description: "the drill runs did not go as the fixture expects:\n" + (older.scenarios + latest.scenarios).map(DrillHarness.failures).joined(separator: "\n---\n"))
        }
        let directory = TestEnvironment.temporaryDirectory("compliance")
        let path = directory + "/history.jsonl"
        try RunReportFiles.appendHistory(older, to: path)
        try RunReportFiles.appendHistory(latest, to: path)
        try appendTruncatedLine(latest, to: path)
        return RealHistory(path: path, older: older, latest: latest, directory: directory)
    }

    /// Appends the first half of `run`'s history line without its newline: what a run killed
    /// mid-write leaves.
    static func appendTruncatedLine(_ run: DrillRunResult, to path: String) throws {
        let line = try RunReportFiles.historyLine(run)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line.prefix(line.count / 2))
    }

    /// Hostile text: markup, quotes, an ampersand, NUL, ESC, a pipe, Markdown and an emoji.
    static let hostile = "<script>alert('x')</script> & \"quoted\" | *bold* [link](javascript:x) \u{0}\u{1B}[31m 🚨"

    /// `run` with hostile text in a scenario name, its description, a failed check's name and
    /// message, the runner error and a skipped reason (the third scenario becomes skipped).
    static func hostileCopy(of run: DrillRunResult) -> DrillRunResult {
        var copy = run
        copy.host = "host <b>" + hostile
        copy.scenarios[1].name = "c-rpo-missed " + hostile
        copy.scenarios[1].description = "description " + hostile
        if let index = copy.scenarios[1].checks.firstIndex(where: { !$0.passed }) {
            copy.scenarios[1].checks[index].message = "message " + hostile
        }
        copy.scenarios[1].error = "runner error\n" + hostile
        copy.scenarios[2].verdict = .skipped
        copy.scenarios[2].skippedReason = "reason " + hostile
        copy.scenarios[2].checks = []
        return copy
    }

    // MARK: - Twelve months of the catalogue

    /// The shipped catalogue's scenario names.
    static func catalogue() throws -> DrillCatalogue {
        let path = TestEnvironment.packageRoot + "/scenarios"
        return DrillCatalogue(names: try DrillRunner.load(paths: [path]).map(\.name), source: .scenarioFiles(path: path))
    }

    /// Twelve monthly runs of the catalogue (30 days apart, the first at `start`), each
    /// scenario a copy of a real result renamed to a catalogue scenario, its dates shifted and
    /// its measurements drifting upwards month by month. `skipMonth` leaves one month out;
    /// `failingMonth` makes one scenario of that month fail.
    static func year(from real: RealHistory, catalogue: DrillCatalogue, start: Date, skipMonth: Int? = nil, failingMonth: Int? = nil) -> [DrillRunResult] {
        let template = real.latest
        let recovered = template.scenarios[0]
        let backupOnly = real.latest.scenarios[2]
        var runs: [DrillRunResult] = []
        for month in 0..<12 where month != skipMonth {
            let shift = Double(month) * 30 * 86400 + start.timeIntervalSince(template.startedAt)
            let drift = 1 + Double(month) * 0.05
            var run = template
            run.runID = "drill-month-\(month + 1)"
            run.startedAt = template.startedAt.addingTimeInterval(shift)
            run.finishedAt = template.finishedAt.addingTimeInterval(shift)
            run.scenarios = catalogue.names.enumerated().map { index, name in
                var scenario = index % 3 == 0 ? recovered : backupOnly
                scenario.name = name
                scenario.startedAt = scenario.startedAt.addingTimeInterval(shift)
                scenario.steps = scenario.steps.map { step in
                    var step = step
                    step.startedAt = step.startedAt.addingTimeInterval(shift)
                    return step
                }
                scenario.verdict = .passed
                scenario.checks = scenario.checks.map { check in
                    var check = check
                    check.passed = true
                    check.message = nil
                    return check
                }
                scenario.measurement.rtoSeconds = scenario.measurement.rtoSeconds.map { $0 * drift }
                scenario.measurement.rpoSeconds = scenario.measurement.rpoSeconds.map { $0 * drift }
                if month == failingMonth && index == 1 {
                    scenario.verdict = .failed
                    scenario.checks.append(CheckResult(name: "step 1 backup: outcome", passed: false, expected: "success", actual: "failure", message: "expected success, got failure (exit 1)"))
                }
                return scenario
            }
            runs.append(run)
        }
        return runs
    }

    /// Writes `runs` as a history file in a fresh directory; returns its path.
    static func writeHistory(_ runs: [DrillRunResult], label: String = "history") throws -> String {
        let path = TestEnvironment.temporaryDirectory("compliance-\(label)") + "/history.jsonl"
        for run in runs { try RunReportFiles.appendHistory(run, to: path) }
        return path
    }
}
