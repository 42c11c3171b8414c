import Foundation
import PRACore
import PRADrillResults

/// Renders a ``DrillRunResult`` as Jenkins-style JUnit XML (`reports/junit.xml`).
///
/// The document validates against the Jenkins JUnit schema (`jenkins-junit.xsd`):
///
/// - `<testsuites name="pra drill">` carries the run's totals (`tests`, `failures`, `errors`,
///   `time`); the schema allows no `skipped` attribute there, so skips are counted per suite.
/// - One `<testsuite>` per scenario, with `properties` holding the measured RTO/RPO, their
///   targets, the RTO phases, heartbeat counts and the projections (labelled `projected_…`).
/// - One `<testcase>` per ``CheckResult``. A failed check has a `<failure type="expectation">`
///   whose `message` says "expected X, got Y"; a runner error adds a testcase
///   `scenario setup` with an `<error>`; a skipped scenario marks every testcase (or a single
///   `scenario` testcase) `<skipped>reason</skipped>` — the schema types `skipped` as plain
///   text without attributes.
/// - `<system-out>` holds the scenario's log, a measurement summary and the failed checks.
///
/// Every text and attribute value is escaped; characters XML 1.0 cannot carry (NUL, ESC and
/// the other C0 controls except tab, newline and carriage return, U+FFFE, U+FFFF) become a
/// visible `\xNN` / `\uNNNN`, so a hostile scenario name or server message can neither break
/// the document nor hide in it. No CDATA sections are used, so `]]>` is harmless.
public struct JUnitReportWriter: Sendable {
    /// The run being reported.
    public let run: DrillRunResult

    /// A writer for `run`.
    public init(run: DrillRunResult) {
        self.run = run
    }

    /// The whole XML document, UTF-8, ending with a newline.
    public var xml: String {
        let suites = run.scenarios.enumerated().map { Suite(scenario: $0.element, index: $0.offset) }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites"
        out += Self.attribute("name", "pra drill")
        out += Self.attribute("tests", String(suites.reduce(0) { $0 + $1.cases.count }))
        out += Self.attribute("failures", String(suites.reduce(0) { $0 + $1.failures }))
        out += Self.attribute("errors", String(suites.reduce(0) { $0 + $1.errors }))
        out += Self.attribute("time", Self.seconds(run.seconds))
        out += ">\n"
        for suite in suites {
            suite.render(into: &out, hostname: run.host)
        }
        out += "</testsuites>\n"
        return out
    }

    /// Writes ``xml`` to `path` durably (temporary file, fsync, rename; `-`, a link, a device or a
    /// FIFO is written through: `OutputFile`), creating the parent
    /// directory when it is missing.
    public func write(to path: String) throws {
        try RunReportFiles.createParentDirectory(of: path)
        try OutputFile.write(Data(xml.utf8), to: path, permissions: 0o644)
    }

    // MARK: - Model of the document

    /// One `<testcase>`.
    struct Case {
        var name: String
        var classname: String
        var seconds: Double
        var skipped: String?
        /// `(message, type, text)` of an `<error>`.
        var error: (message: String, type: String, text: String)?
        /// `(message, type, text)` of a `<failure>`.
        var failure: (message: String, type: String, text: String)?
    }

    /// One `<testsuite>`: a scenario and the testcases it yields.
    struct Suite {
        var scenario: ScenarioResult
        var index: Int
        var cases: [Case]

        var failures: Int { cases.filter { $0.failure != nil }.count }
        var errors: Int { cases.filter { $0.error != nil }.count }
        var skipped: Int { cases.filter { $0.skipped != nil }.count }

        init(scenario: ScenarioResult, index: Int) {
            self.scenario = scenario
            self.index = index
            let classname = "pra.drill." + scenario.name
            var cases: [Case] = []
            if scenario.verdict == .skipped {
                // The scenario did not run here: nothing it checked passed or failed.
                let reason = scenario.skippedReason ?? "skipped"
                if scenario.checks.isEmpty {
                    cases.append(Case(name: "scenario", classname: classname, seconds: 0, skipped: reason))
                } else {
                    for check in scenario.checks {
                        cases.append(Case(name: check.name, classname: classname, seconds: check.seconds, skipped: reason))
                    }
                }
            } else {
                for check in scenario.checks {
                    var testcase = Case(name: check.name, classname: classname, seconds: check.seconds)
                    if !check.passed {
                        testcase.failure = (JUnitReportWriter.failureMessage(check), "expectation", JUnitReportWriter.failureText(check))
                    }
                    cases.append(testcase)
                }
            }
            if let error = scenario.error {
                var testcase = Case(name: "scenario setup", classname: classname, seconds: 0)
                testcase.error = (JUnitReportWriter.firstLine(error), "runner", error)
                cases.append(testcase)
            }
            if scenario.verdict == .failed && !cases.contains(where: { $0.failure != nil || $0.error != nil }) {
                // Never let a failed scenario look green to CI.
                var testcase = Case(name: "scenario verdict", classname: classname, seconds: scenario.seconds)
                let message = "expected passed, got failed"
                testcase.failure = (message, "verdict", message + " (the scenario failed without a failing check)")
                cases.append(testcase)
            }
            self.cases = cases
        }

        func render(into out: inout String, hostname: String) {
            out += "  <testsuite"
            out += attribute("name", scenario.name)
            out += attribute("tests", String(cases.count))
            out += attribute("failures", String(failures))
            out += attribute("errors", String(errors))
            out += attribute("skipped", String(skipped))
            out += attribute("time", seconds(scenario.seconds))
            out += attribute("timestamp", timestamp(scenario.startedAt))
            out += attribute("hostname", hostname)
            out += attribute("id", String(index))
            out += attribute("package", "pra.drill")
            out += ">\n"

            out += "    <properties>\n"
            for (name, value) in properties {
                out += "      <property" + attribute("name", name) + attribute("value", value) + "/>\n"
            }
            out += "    </properties>\n"

            for testcase in cases {
                out += "    <testcase"
                out += attribute("name", testcase.name)
                out += attribute("classname", testcase.classname)
                out += attribute("time", seconds(testcase.seconds))
                let hasChildren = testcase.skipped != nil || testcase.error != nil || testcase.failure != nil
                if !hasChildren {
                    out += "/>\n"
                    continue
                }
                out += ">\n"
                // Schema order: skipped, error, failure.
                if let skipped = testcase.skipped {
                    out += "      <skipped>" + escape(skipped) + "</skipped>\n"
                }
                if let error = testcase.error {
                    out += "      <error" + attribute("message", error.message) + attribute("type", error.type) + ">"
                    out += escape(error.text) + "</error>\n"
                }
                if let failure = testcase.failure {
                    out += "      <failure" + attribute("message", failure.message) + attribute("type", failure.type) + ">"
                    out += escape(failure.text) + "</failure>\n"
                }
                out += "    </testcase>\n"
            }

            out += "    <system-out>" + escape(systemOut) + "</system-out>\n"
            out += "  </testsuite>\n"
        }

        /// Measured values, targets and projections, in a fixed order.
        var properties: [(String, String)] {
            let measurement = scenario.measurement
            var list: [(String, String)] = []
            if let rto = measurement.rtoSeconds { list.append(("rto_seconds", seconds(rto))) }
            list.append(("rto_target_seconds", seconds(measurement.rtoTargetSeconds)))
            if let rpo = measurement.rpoSeconds { list.append(("rpo_seconds", seconds(rpo))) }
            list.append(("rpo_target_seconds", seconds(measurement.rpoTargetSeconds)))
            for phase in measurement.rtoPhases {
                list.append(("rto_phase." + phase.name, seconds(phase.seconds)))
            }
            if let written = measurement.heartbeatsWritten { list.append(("heartbeats_written", String(written))) }
            if let recovered = measurement.heartbeatsRecovered { list.append(("heartbeats_recovered", String(recovered))) }
            if let projections = measurement.projections {
                if let value = projections.projectedRTOSeconds { list.append(("projected_rto_seconds", seconds(value))) }
                if let value = projections.worstCaseRPOSeconds { list.append(("projected_worst_case_rpo_seconds", seconds(value))) }
                if let value = projections.continuousArchivingRPOSeconds { list.append(("projected_continuous_archiving_rpo_seconds", seconds(value))) }
                if let value = projections.archiveLagSeconds { list.append(("archive_lag_seconds", seconds(value))) }
                if let value = projections.restoreBytesPerSecond { list.append(("restore_bytes_per_second", number(value, decimals: 0))) }
                if let value = projections.productionDatabaseBytes { list.append(("production_db_bytes", number(value, decimals: 0))) }
                list.append(("backup_interval_seconds", seconds(projections.backupIntervalSeconds)))
                if let value = projections.backupSeconds { list.append(("backup_seconds", seconds(value))) }
            }
            list.append(("verdict", scenario.verdict.rawValue))
            if let reason = scenario.skippedReason { list.append(("skipped_reason", reason)) }
            list.append(("scale", "\(scenario.scale)"))
            list.append(("fixture", scenario.fixture))
            list.append(("file", scenario.file))
            list.append(("tags", scenario.tags.joined(separator: ",")))
            list.append(("description", scenario.description))
            return list
        }

        /// The log, a one-line measurement summary, then the failed checks.
        var systemOut: String {
            var lines = scenario.log
            let measurement = scenario.measurement
            let rto = measurement.rtoSeconds.map { MeasuredDuration.format($0) } ?? "not measured"
            let rpo = measurement.rpoSeconds.map { MeasuredDuration.format($0) } ?? "not measured"
            lines.append("verdict: \(scenario.verdict.rawValue); RTO \(rto) (target \(MeasuredDuration.format(measurement.rtoTargetSeconds))); RPO \(rpo) (target \(MeasuredDuration.format(measurement.rpoTargetSeconds)))")
            if let reason = scenario.skippedReason, scenario.verdict == .skipped {
                lines.append("skipped: \(reason)")
            }
            if let error = scenario.error {
                lines.append("error: \(error)")
            }
            let failed = scenario.checks.filter { !$0.passed }
            if !failed.isEmpty && scenario.verdict != .skipped {
                lines.append("failed checks:")
                for check in failed {
                    lines.append("  - \(check.name): \(check.message.map(JUnitReportWriter.firstLine) ?? JUnitReportWriter.failureMessage(check))")
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    // MARK: - Messages

    /// The one-line `message` of a failure: "expected X, got Y" when both are known.
    static func failureMessage(_ check: CheckResult) -> String {
        switch (check.expected, check.actual) {
        case let (expected?, actual?): return "expected \(expected), got \(actual)"
        case let (expected?, nil): return "expected \(expected), got nothing"
        default: return check.message.map(firstLine) ?? "failed"
        }
    }

    /// The text of a failure: the full message, then expected and actual values.
    static func failureText(_ check: CheckResult) -> String {
        var lines: [String] = []
        lines.append(check.message ?? failureMessage(check))
        if let expected = check.expected { lines.append("expected: \(expected)") }
        if let actual = check.actual { lines.append("actual: \(actual)") }
        return lines.joined(separator: "\n")
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    // MARK: - Formatting

    /// Seconds with three decimals, as JUnit consumers parse them (`0.000` when not finite).
    static func seconds(_ value: Double) -> String {
        value.isFinite ? String(format: "%.3f", value) : "0.000"
    }

    /// A number with `decimals` decimals; `nan`/`inf` spelled out rather than hidden.
    static func number(_ value: Double, decimals: Int) -> String {
        value.isFinite ? String(format: "%.\(decimals)f", value) : "\(value)"
    }

    /// ISO-8601 date and time in UTC without a zone suffix, as Ant and Jenkins write it.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime]
        return formatter.string(from: date)
    }

    /// ` name="value"`, with `value` escaped for an attribute.
    static func attribute(_ name: String, _ value: String) -> String {
        " \(name)=\"\(escape(value, inAttribute: true))\""
    }

    /// Escapes markup characters and replaces characters XML 1.0 cannot carry by a visible
    /// escape (`\x1B`, `\uFFFE`). In attributes, tab, newline and carriage return become
    /// character references so that attribute-value normalisation keeps them.
    static func escape(_ text: String, inAttribute: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x26: out += "&amp;"
            case 0x3C: out += "&lt;"
            case 0x3E: out += "&gt;"
            case 0x22: out += "&quot;"
            case 0x27: out += "&apos;"
            case 0x0D: out += "&#13;"
            case 0x09: out += inAttribute ? "&#9;" : "\t"
            case 0x0A: out += inAttribute ? "&#10;" : "\n"
            case 0x00...0x1F, 0x7F...0x9F:
                // C0 controls are not XML 1.0 characters; DEL and C1 controls are allowed but
                // invisible and discouraged: show all of them.
                out += "\\x" + hex(scalar.value, digits: 2)
            case 0xFFFE, 0xFFFF:
                out += "\\u" + hex(scalar.value, digits: 4)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
