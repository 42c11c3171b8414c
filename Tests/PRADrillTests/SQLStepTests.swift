import Foundation
import PRACore
import PRADrillResults
import PRATestSupport
import Testing

@testable import PRADrill

// The sql step (Steps/SQLStep.swift): one file and one registry line, like every step kind.
// Its options load and are rejected like the other steps'; on a real scratch server it passes
// when the statement gives what the scenario expects and fails naming expected and actual.

private func loadSQL(_ steps: String) throws(ScenarioError) -> Scenario {
    try ScenarioLoader().parse("name: t\nsteps:\n" + steps, file: "t.yaml")
}

private let sqlInvalidCases: [ScenarioLoaderInvalidCase] = [
    ScenarioLoaderInvalidCase(label: "no statement", yaml: "name: t\nsteps:\n  - sql: {expect: \"1\"}\n", line: 3, key: "steps[1].sql.statement", fragment: "required key is missing"),
    ScenarioLoaderInvalidCase(label: "an empty statement", yaml: "name: t\nsteps:\n  - sql: {statement: \"  \"}\n", line: 3, key: "steps[1].sql.statement", fragment: "must be an SQL statement"),
    ScenarioLoaderInvalidCase(label: "not a mapping", yaml: "name: t\nsteps:\n  - sql: SELECT 1\n", line: 3, key: "steps[1].sql", fragment: "must be a mapping"),
    ScenarioLoaderInvalidCase(label: "an unknown option", yaml: "name: t\nsteps:\n  - sql: {statement: SELECT 1, server: recovered}\n", line: 3, key: "steps[1].sql.server", fragment: "unknown key (allowed here: statement, database, expect, expect_rows, expect_error)"),
    ScenarioLoaderInvalidCase(label: "two expectations", yaml: "name: t\nsteps:\n  - sql: {statement: SELECT 1, expect: \"1\", expect_rows: 1}\n", line: 3, key: "steps[1].sql.expect_rows", fragment: "give one of expect, expect_rows and expect_error, not expect and expect_rows"),
    ScenarioLoaderInvalidCase(label: "a negative row count", yaml: "name: t\nsteps:\n  - sql: {statement: SELECT 1, expect_rows: -1}\n", line: 3, key: "steps[1].sql.expect_rows", fragment: "must be between 0 and 1000000000"),
    ScenarioLoaderInvalidCase(label: "a row count in words", yaml: "name: t\nsteps:\n  - sql: {statement: SELECT 1, expect_rows: many}\n", line: 3, key: "steps[1].sql.expect_rows", fragment: "must be a whole number"),
    ScenarioLoaderInvalidCase(label: "an empty expected error", yaml: "name: t\nsteps:\n  - sql: {statement: SELECT 1, expect_error: \"\"}\n", line: 3, key: "steps[1].sql.expect_error", fragment: "must be a text the server's error message contains"),
    ScenarioLoaderInvalidCase(label: "a connection string as database", yaml: "name: t\nsteps:\n  - sql: {statement: SELECT 1, database: \"host=elsewhere dbname=prod\"}\n", line: 3, key: "steps[1].sql.database", fragment: "must be the plain name of a database of the scenario's server"),
    ScenarioLoaderInvalidCase(label: "step-level expect", yaml: "name: t\nsteps:\n  - sql: {statement: SELECT 1}\n    expect: {outcome: success}\n", line: 4, key: "steps[1].expect", fragment: "sql steps take no expectations"),
    ScenarioLoaderInvalidCase(label: "a fault injected", yaml: "name: t\nsteps:\n  - sql: {statement: SELECT 1}\n    inject: {kind: crash-server}\n", line: 4, key: "steps[1].inject", fragment: "faults can be injected into backup, verify, restore, status, standby and activate steps only"),
    ScenarioLoaderInvalidCase(label: "env", yaml: "name: t\nsteps:\n  - sql: {statement: SELECT 1}\n    env: {PGCONNECT_TIMEOUT: \"1\"}\n", line: 4, key: "steps[1].env", fragment: "only steps that run pra take env"),
]

@Suite("sql step: loading")
struct SQLStepLoaderTests {
    @Test("the options load as written: a statement alone must succeed; expect, expect_rows, expect_error, database")
    func optionsLoad() throws {
        let scenario = try loadSQL("""
              - sql: {statement: "INSERT INTO notes DEFAULT VALUES"}
              - sql: {statement: "SELECT count(*) FROM users", expect: 42}
              - sql: {statement: "SELECT id FROM receipts", database: akig_restore, expect_rows: 0}
              - sql:
                  statement: |
                    SELECT 1
                    FROM missing
                  expect_error: does not exist
            """)
        #expect(scenario.steps.map(\.action) == [
            .sql("INSERT INTO notes DEFAULT VALUES"),
            .sql("SELECT count(*) FROM users", expect: .value("42")),
            .sql("SELECT id FROM receipts", database: "akig_restore", expect: .rows(0)),
            .sql("SELECT 1\nFROM missing\n", expect: .error(containing: "does not exist")),
        ])
        #expect(scenario.steps.map(\.action.kind) == [.sql, .sql, .sql, .sql])
        #expect(scenario.steps[3].action.description == "sql: SELECT 1 FROM missing")
    }

    @Test("invalid options name the line, the key and the problem", arguments: sqlInvalidCases)
    func invalidOptions(_ testCase: ScenarioLoaderInvalidCase) throws {
        do {
            _ = try ScenarioLoader().parse(testCase.yaml, file: "t.yaml")
            Issue.record("loaded although invalid")
        } catch {
            #expect(error.line == testCase.line, "\(error)")
            #expect(error.key == testCase.key, "\(error)")
            #expect(error.message.contains(testCase.fragment), "\(error)")
        }
    }
}

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
