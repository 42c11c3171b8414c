import Foundation
import PRACore
import PRADrillResults
import PRATestSupport
import Testing

@testable import PRADrill

// The sql step (Steps/SQLStep.swift): one file and one registry line, like every step kind.
// Its options load and are rejected like the other steps'; on a real scratch server it passes
// when the statement gives what the scenario expects and fails naming expected and actual.

@Suite("sql step: on the scratch server", .requires(.postgresServer))
struct SQLStepRunTests {
    @Test("a row written by a sql step survives backup, drop and restore: expect, expect_rows and expect_error pass")
    func passes() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-sql
            steps:
              - sql: {statement: "CREATE TABLE drill_marker (id int PRIMARY KEY); INSERT INTO drill_marker SELECT generate_series(1, 3)"}
              - sql: {statement: "SELECT count(*) FROM drill_marker", expect: 3}
              - backup: {}
              - disaster: drop-database
              - sql: {statement: "SELECT 1", expect_error: does not exist}
              - restore: {}
              - sql: {statement: "SELECT id FROM drill_marker ORDER BY id", database: akig_restore, expect_rows: 3}
              - sql: {statement: "UPDATE drill_marker SET id = id + 10 WHERE id > 1", database: akig_restore, expect_rows: 2}
              - sql: {statement: "SELECT sum(id) FROM drill_marker", database: akig_restore, expect: 26}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        let names = result.checks.map(\.name)
        for expected in ["step 1 sql: succeeds", "step 2 sql: result", "step 5 sql: fails", "step 7 sql: rows", "step 8 sql: rows", "step 9 sql: result"] {
            #expect(names.contains(expected), "no check \(expected) in \(names)")
        }
        #expect(result.checks.first { $0.name == "step 9 sql: result" }?.actual == "26")
        #expect(result.steps[4].errorLine?.contains("does not exist") == true, "\(String(describing: result.steps[4].errorLine))")
        #expect(result.steps[6].summary == "sql on akig_restore: SELECT id FROM drill_marker ORDER BY id")
    }

    @Test("a wrong value, a failing statement and an unexpected success fail the scenario, each naming expected and actual")
    func fails() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-sql-fails
            steps:
              - sql: {statement: "SELECT count(*) FROM users WHERE false", expect: 1}
              - sql: {statement: "SELECT * FROM no_such_table", expect_rows: 0}
              - sql: {statement: "SELECT 1", expect_error: permission denied}
              - sql: {statement: "SELECT 1, 2", expect: 1}
            """))
        #expect(result.verdict == .failed)
        let failed = Dictionary(uniqueKeysWithValues: result.checks.filter { !$0.passed }.map { ($0.name, $0.message ?? "") })
        #expect(failed["step 1 sql: result"] == "expected 1, got 0", "\(failed)")
        #expect(failed["step 2 sql: rows"]?.hasPrefix("expected 0 rows, got error: server error: relation \"no_such_table\" does not exist") == true, "\(failed)")
        #expect(failed["step 3 sql: fails"] == "expected an error containing \"permission denied\", got success (1 row)", "\(failed)")
        #expect(failed["step 4 sql: result"] == "expected 1, got 1 row of 2 column(s), not one value", "\(failed)")
        #expect(failed.count == 4, "\(failed)")
    }
}

@Suite("step registry")
struct StepRegistryTests {
    @Test("keys are unique and name the kinds; the loader's action list and docs/scenarios.md's step table follow the registry")
    func registryDrivesLoaderAndDocs() throws {
        #expect(Set(StepRegistry.names).count == StepRegistry.all.count)
        #expect(StepKind.allCases.map(\.rawValue) == StepRegistry.names)
        #expect(StepKind.praSteps == [.backup, .verify, .restore, .status, .standby, .activate])
        do {
            _ = try ScenarioLoader().parse("name: t\nsteps:\n  - expect: {outcome: success}\n", file: "t.yaml")
            Issue.record("a step without an action loaded")
        } catch {
            #expect(error.message == "a step needs one action: \(StepRegistry.names.joined(separator: ", "))")
        }
        let page = try String(contentsOfFile: TestEnvironment.packageRoot + "/docs/scenarios.md", encoding: .utf8)
        let lines = page.components(separatedBy: "\n")
        for name in StepRegistry.names {
            #expect(lines.contains { $0.hasPrefix("| `\(name)` |") }, "docs/scenarios.md's step table has no row for \(name)")
        }
        // The `pra drill new` template's commented sql step validates once uncommented.
        let template = ScenarioTemplate.text(name: "x").components(separatedBy: "\n")
        let sqlLine = try #require(template.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("# - sql:") })
        let step = sqlLine.trimmingCharacters(in: .whitespaces).dropFirst(2)
        let scenario = try ScenarioLoader().parse("name: x\nsteps:\n  - backup: {}\n  \(step)\n", file: "x.yaml")
        #expect(scenario.steps.last?.action.kind == .sql)
    }
}
