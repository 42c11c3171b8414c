import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// `pra drill run scenarios/one.yaml` (what `pra drill new` suggests) or `--only`: a partial run
/// writes its reports in `reports/partial/`, never over the full drill's `junit.xml` nor into
/// the history `pra report` reads, which still finds the last full drill.
@Suite("drill run: a partial run leaves the full drill's reports alone", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs are not installed"))
struct PartialDrillRunTests {
    static func scenario(_ name: String) -> String {
        """
        name: \(name)
        description: A backup that verify accepts.
        steps:
          - backup: {}
          - verify: {}
            expect: {outcome: success}
        """
    }

    /// Runs `pra arguments...` in `directory` (where ./scenarios and ./reports are).
    static func pra(_ arguments: [String], in directory: String) throws -> (exitCode: Int32, stdout: String, stderr: String) {
        var environment = TestEnvironment.baseEnvironment()
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        let script = "cd \"$1\" && shift && exec \"$@\""
        let outcome = try ExternalProcess(executable: "/bin/sh", arguments: ["-c", script, "sh", directory, PraBinary.path] + arguments + ["--env-file", "/dev/null"], environment: environment, timeout: 600).run()
        return (outcome.exitCode ?? -1, outcome.stdoutText, outcome.standardError)
    }

    static func lines(_ path: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test("DrillRun partial outputs: a file of the catalogue and --only write reports/partial/; the full drill's junit.xml and history stay; pra report finds the full drill")
    func partialRunKeepsFullReports() throws {
        let directory = TestEnvironment.temporaryDirectory("partial-run")
        try FileManager.default.createDirectory(atPath: directory + "/scenarios", withIntermediateDirectories: true)
        for name in ["p-one", "p-two"] {
            try Self.scenario(name).write(toFile: directory + "/scenarios/\(name).yaml", atomically: true, encoding: .utf8)
        }
        let full = try Self.pra(["drill", "run", "--scale", "0.01", "--quiet"], in: directory)
        #expect(full.exitCode == 0, "\(full.stdout)\(full.stderr)")
        let junit = directory + "/reports/junit.xml", history = directory + "/reports/history.jsonl"
        let fullJUnit = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(fullJUnit.contains("p-one") && fullJUnit.contains("p-two"))
        #expect(Self.lines(history) == 1)

        let one = try Self.pra(["drill", "run", "scenarios/p-one.yaml", "--scale", "0.01"], in: directory)
        #expect(one.exitCode == 0, "\(one.stdout)\(one.stderr)")
        #expect(one.stderr.contains("a partial run"), "\(one.stderr)")
        #expect(one.stdout.contains("reports/partial/junit.xml"), "\(one.stdout)")
        let only = try Self.pra(["drill", "run", "--only", "p-two", "--scale", "0.01", "--quiet"], in: directory)
        #expect(only.exitCode == 0, "\(only.stdout)\(only.stderr)")

        #expect(try String(contentsOfFile: junit, encoding: .utf8) == fullJUnit, "the full drill's junit.xml was replaced")
        #expect(Self.lines(history) == 1, "a partial run went into the history")
        #expect(Self.lines(directory + "/reports/partial/history.jsonl") == 2)
        #expect(try String(contentsOfFile: directory + "/reports/partial/junit.xml", encoding: .utf8).contains("p-two"))

        let report = try Self.pra(["report"], in: directory)
        #expect(report.stdout.contains("Last passing full drill"), "\(report.stdout)\(report.stderr)")
        #expect(!report.stdout.contains("No full drill"), "\(report.stdout)")

        // Asked for: --history names the main history, and the report still finds the full drill.
        let asked = try Self.pra(["drill", "run", "scenarios/p-one.yaml", "--scale", "0.01", "--quiet", "--history", "reports/history.jsonl"], in: directory)
        #expect(asked.exitCode == 0, "\(asked.stderr)")
        #expect(Self.lines(history) == 2)
        let after = try Self.pra(["report"], in: directory)
        #expect(after.stdout.contains("Last passing full drill"), "\(after.stdout)\(after.stderr)")
    }
}
