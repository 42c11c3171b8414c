import Foundation
import PRACore
import PRADrillResults

extension StepKind {
    /// `sql:` — a statement run by the runner on the scenario's server, its result checked.
    public static let sql = StepKind("sql")
}

/// `sql: {statement, database, expect | expect_rows | expect_error}`: runs one statement (or
/// several, `;`-separated: the last one's result counts) on the scenario's scratch server as
/// the runner (directly on its socket, not through the network proxy), in the scenario's
/// database or `database`, and checks its result: the single value it returns (`expect`), how
/// many rows it returns or changes (`expect_rows`), or that it fails with a message containing
/// a text (`expect_error`). With none of them, the statement must succeed.
struct SQLStep: DrillStep {
    /// What the statement must give.
    enum Expectation: Sendable, Equatable {
        /// It succeeds.
        case succeeds
        /// One row of one column whose text (as PostgreSQL prints it: `t`/`f` for booleans) is this.
        case value(String)
        /// It returns this many rows (INSERT, UPDATE, DELETE: changes this many).
        case rows(Int)
        /// It fails, the server's message containing this text.
        case error(containing: String)
    }

    static let kind = StepKind.sql
    var statement: String
    /// A database of the scenario's server; `nil`: the scenario's (the fixture's).
    var database: String?
    var expectation: Expectation

    static let expectationOptions = ["expect", "expect_rows", "expect_error"]

    static func read(_ options: StepOptions) throws(ScenarioError) -> SQLStep {
        let reader = options.reader
        let map = try options.mapping(allowed: ["statement", "database"] + expectationOptions)
        let statementNode = try map.required("statement")
        let statement = try reader.string(statementNode, key: options.path("statement"))
        guard !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw options.error(statementNode, option: "statement", "must be an SQL statement, e.g. SELECT count(*) FROM users")
        }
        var database: String?
        if let node = map.node("database") {
            let name = try reader.string(node, key: options.path("database"))
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw options.error(node, option: "database", "must be the plain name of a database of the scenario's server (letters, digits, _ and -), e.g. akig_restore")
            }
            database = name
        }
        let given = expectationOptions.filter { map.node($0) != nil }
        if given.count > 1 {
            throw options.error(map.node(given[1]), option: given[1], "give one of expect, expect_rows and expect_error, not \(given.joined(separator: " and "))")
        }
        var expectation = Expectation.succeeds
        if let node = map.node("expect") {
            expectation = .value(try reader.string(node, key: options.path("expect")))
        } else if let node = map.node("expect_rows") {
            expectation = .rows(try reader.integer(node, key: options.path("expect_rows"), in: 0...1_000_000_000))
        } else if let node = map.node("expect_error") {
            let text = try reader.string(node, key: options.path("expect_error"))
            guard !text.isEmpty else { throw options.error(node, option: "expect_error", "must be a text the server's error message contains, e.g. does not exist") }
            expectation = .error(containing: text)
        }
        return SQLStep(statement: statement, database: database, expectation: expectation)
    }

    var description: String {
        "sql" + (database.map { " on \($0)" } ?? "") + ": " + Self.shortened(statement)
    }

    func run(_ run: StepRun) -> StepOutcome {
        let database = self.database ?? run.context.database
        let answer: Result<PostgresResult, PostgresError>
        do {
            let connection = try PostgresConnection(run.context.cluster.connectionSettings, database: database, applicationName: "pra-drill")
            answer = .success(try connection.execute(statement))
        } catch {
            answer = .failure(error)
        }
        let check = judge(answer, run: run)
        run.context.log("\(run.label) on \(database): \(Self.shortened(statement)) → \(check.actual ?? "")")
        var outcome = StepOutcome(checks: [check])
        if case .failure(let error) = answer { outcome.errorLine = error.description }
        return outcome
    }

    /// The step's one check: what the statement gave against ``expectation``.
    private func judge(_ answer: Result<PostgresResult, PostgresError>, run: StepRun) -> CheckResult {
        switch answer {
        case .failure(let error):
            let actual = "error: \(error)"
            switch expectation {
            case .succeeds: return run.check("succeeds", false, expected: "success", actual: actual)
            case .value(let wanted): return run.check("result", false, expected: wanted, actual: actual)
            case .rows(let wanted): return run.check("rows", false, expected: Self.rows(wanted), actual: actual)
            case .error(let text): return run.check("fails", error.description.contains(text), expected: "an error containing \"\(text)\"", actual: actual)
            }
        case .success(let result):
            let count = Self.rowCount(result)
            switch expectation {
            case .succeeds:
                return run.check("succeeds", true, expected: "success", actual: "success (\(Self.rows(count)))")
            case .value(let wanted):
                let single = result.columnCount == 1 && result.rowCount == 1
                let value = single ? result.value(0, 0) : nil
                let actual = single ? value ?? "NULL" : "\(Self.rows(count)) of \(result.columnCount) column(s), not one value"
                return run.check("result", value == wanted, expected: wanted, actual: actual)
            case .rows(let wanted):
                return run.check("rows", count == wanted, expected: Self.rows(wanted), actual: Self.rows(count))
            case .error(let text):
                return run.check("fails", false, expected: "an error containing \"\(text)\"", actual: "success (\(Self.rows(count)))")
            }
        }
    }

    /// The rows a query returned, or a command changed.
    static func rowCount(_ result: PostgresResult) -> Int {
        result.columnCount > 0 ? result.rowCount : result.affectedRows
    }

    static func rows(_ count: Int) -> String {
        count == 1 ? "1 row" : "\(count) rows"
    }

    /// The statement on one line, at most 80 characters, for logs and the step record.
    static func shortened(_ statement: String) -> String {
        let flat = statement.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return flat.count > 80 ? String(flat.prefix(77)) + "..." : flat
    }
}

extension StepAction {
    /// `sql: {statement, database, expect...}`.
    static func sql(_ statement: String, database: String? = nil, expect expectation: SQLStep.Expectation = .succeeds) -> StepAction {
        StepAction(SQLStep(statement: statement, database: database, expectation: expectation))
    }
}
