import Foundation

/// The incident report of an activation, in text and JSON, in `REPORT_DIR`: the timeline, each
/// phase against its budget, the recovery point and data-loss window, the hooks' output, the
/// checks. Rewritten (durably, same names) by every run of the same activation.
public struct ActivationReport: Sendable {
    public let state: ActivationState

    public init(state: ActivationState) {
        self.state = state
    }

    /// `pra_activation_report_<stamp>` (`pra_activation_rehearsal_<stamp>` for a dry run).
    public var stem: String { (state.dryRun ? "pra_activation_rehearsal_" : "pra_activation_report_") + state.id }

    public var verdict: String {
        if let failure = state.failure { return "FAILED at \(state.stage.phase.rawValue): \(failure)" }
        if state.dryRun { return state.stage == .activated ? "REHEARSAL PASSED" : "REHEARSAL INCOMPLETE (\(state.standing))" }
        if state.activated { return state.overBudget ? "ACTIVATED, OVER BUDGET" : "ACTIVATED within budget" }
        return "INCOMPLETE: \(state.standing)"
    }

    public var text: String {
        var lines: [String] = []
        lines.append("pra activation report" + (state.dryRun ? " (REHEARSAL: scratch target, no switch)" : ""))
        lines.append("")
        lines.append("Activation:     \(state.id)")
        lines.append("Verdict:        \(verdict)")
        lines.append("Stage reached:  \(state.standing)")
        lines.append("Strategy:       \(state.strategy.rawValue) into \(state.target)")
        lines.append("Started:        \(RecoverableWindow.format(state.startedAt))" + (state.runs > 1 ? " (\(state.runs) runs: resumed after an interruption)" : ""))
        if let ended = state.endedAt { lines.append("Ended:          \(RecoverableWindow.format(ended))") }
        if let point = state.recoveryPoint { lines.append("Recovery point: \(point.sentence)") }
        if let summary = state.restoreSummary { lines.append("Restore:        \(summary)") }
        if let report = state.restoreReport { lines.append("Restore report: \(report)") }
        lines.append("")
        lines.append("Phases (against the plan's budgets)")
        for verdict in state.verdicts { lines.append("  " + verdict.line) }
        lines.append("  total \(DurationParser.format(state.totalSeconds)) of \(DurationParser.format(state.budgets.total))" + (state.totalSeconds > state.budgets.total ? " (OVER BUDGET)" : ""))
        lines.append("")
        lines.append("Switch hooks")
        if state.hooks.isEmpty { lines.append("  (none ran)") }
        for (index, hook) in state.hooks.enumerated() {
            lines.append("  \(index + 1). \(hook.succeeded ? "✓" : "✗") \(hook.name): \(hook.command) (\(DurationParser.format(hook.seconds)))" + (hook.failure.map { ": \($0)" } ?? ""))
            if !hook.standardOutput.isEmpty { lines.append(indented("stdout", hook.standardOutput)) }
            if !hook.standardError.isEmpty { lines.append(indented("stderr", hook.standardError)) }
        }
        lines.append("")
        lines.append("Verification")
        if state.checks.isEmpty { lines.append("  (not run)") }
        for check in state.checks { lines.append("  \(check.passed ? "✓" : "✗") \(check.name): \(check.message)") }
        if !state.notificationProblems.isEmpty {
            lines.append("")
            lines.append("Notifications not delivered")
            for problem in state.notificationProblems { lines.append("  " + problem) }
        }
        lines.append("")
        lines.append("Timeline")
        for event in state.timeline { lines.append("  \(RecoverableWindow.format(event.at))  \(event.text)") }
        return lines.joined(separator: "\n") + "\n"
    }

    private func indented(_ label: String, _ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "       \(label) | \($0)" }.joined(separator: "\n")
    }

    /// Writes `<stem>.txt` and `<stem>.json` into `directory` durably; returns the text's path.
    public func write(to directory: String) throws(FileError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FileError(operation: .mkdir, path: directory, code: errno)
        }
        let base = (directory as NSString).appendingPathComponent(stem)
        let json: Data
        do {
            json = try JSONCoding.encoder.encode(state)
        } catch {
            throw FileError(operation: .write, path: base + ".json", code: EINVAL)
        }
        try DurableFile.write(json, to: base + ".json", permissions: 0o644)
        try DurableFile.write(Data(text.utf8), to: base + ".txt", permissions: 0o644)
        return base + ".txt"
    }
}
