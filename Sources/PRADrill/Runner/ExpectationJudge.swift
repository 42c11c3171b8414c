import Foundation
import PRACore
import PRADrillResults

/// Judges the expectations every `pra` step takes against what its child did: `outcome`,
/// `exit_code`, `seconds_max`, `message_contains` (``checks()``), `earlier_backups`
/// (``earlierBackupsCheck()``). A kind's own expectations
/// are judged by the kind (``PraStep/judge(_:child:before:)``).
struct ExpectationJudge {
    let run: StepRun
    let child: PraChild.Result
    /// The human-readable lines the command prints without `--json`.
    let messages: [String]
    let before: BackupSnapshot

    func checks() -> [CheckResult] {
        let expect = run.step.expect
        var checks: [CheckResult] = []
        func check(_ what: String, _ passed: Bool, expected: String, actual: String) {
            checks.append(run.check(what, passed, expected: expected, actual: actual, seconds: child.seconds))
        }
        let exitText = child.exitCode == 0 ? "success (exit 0)" : "failure (exit \(child.exitCode)\(child.errorLine.map { ": \($0.replacingOccurrences(of: "pra: error: ", with: ""))" } ?? ""))"
        // With no expectations at all, a step must at least succeed.
        let outcome = expect.outcome ?? (expect.isEmpty ? .success : nil)
        if let outcome {
            check("outcome", (child.exitCode == 0) == (outcome == .success), expected: outcome.rawValue, actual: exitText)
        }
        if let code = expect.exitCode {
            check("exit code", child.exitCode == code, expected: "exit \(code)", actual: "exit \(child.exitCode)")
        }
        if let limit = expect.secondsMax {
            check("answered in time", child.seconds <= limit, expected: "≤ \(DurationParser.format(limit))", actual: DurationParser.format(child.seconds))
        }
        // stderr, the --json document, and the human-readable lines the command prints without --json.
        let output = ([child.stderr, child.stdout] + messages).joined(separator: "\n")
        for text in expect.messageContains {
            check("message contains \"\(text)\"", output.contains(text), expected: "output containing \"\(text)\"", actual: child.errorLine ?? String(output.suffix(200)))
        }
        return checks
    }

    /// `earlier_backups: untouched`, judged after the kind's own checks.
    func earlierBackupsCheck() -> [CheckResult] {
        guard run.step.expect.earlierBackupsUntouched == true else { return [] }
        let changed = before.changedBackups()
        return [run.check("earlier backups untouched", changed.isEmpty, expected: "\(before.complete.count) earlier backup(s) unchanged", actual: changed.isEmpty ? "unchanged" : "changed or gone: \(changed.joined(separator: ", "))", seconds: child.seconds)]
    }
}
