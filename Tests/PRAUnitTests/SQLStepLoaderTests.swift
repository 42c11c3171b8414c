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
