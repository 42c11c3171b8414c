import Foundation
import PRACore
import PRADrillResults

/// Runs one ``PraStep``: the `pra` child with the step's injected fault, then the judgement.
struct PraStepRunner<Kind: PraStep> {
    let kind: Kind
    let run: StepRun

    func perform() -> StepOutcome {
        let context = run.context
        let before = BackupSnapshot(directory: context.backupDirectory, digests: run.step.expect.earlierBackupsUntouched == true)
        let arguments: [String]
        do {
            arguments = try kind.arguments(run, before: before) + ["--json", "--quiet"]
        } catch {
            return StepOutcome(checks: [error.check])
        }
        let (injected, applied) = InjectedFault.start(run)
        var checks = applied
        let stepClock = MonotonicClock.now()
        let child: PraChild.Result
        do {
            child = try runChild(arguments)
        } catch {
            _ = injected?.finish()
            injected?.revert()
            checks.append(run.failure("pra ran", expected: "pra runs", actual: "\(error)", message: "expected pra to start, got: \(error)"))
            return StepOutcome(checks: checks)
        }
        let stepSeconds = stepClock.elapsed()
        checks += injected?.finish() ?? []
        let verdict = child.exitCode == 0 ? "ok" : "exit \(child.exitCode)"
        context.log("\(run.label): \(verdict) in \(DurationParser.format(child.seconds))" + (child.errorLine.map { " — \($0)" } ?? ""))

        let messages = kind.messages(of: child)
        let judge = ExpectationJudge(run: run, child: child, messages: messages, before: before)
        checks += judge.checks() + kind.judge(run, child: child, before: before) + judge.earlierBackupsCheck()
        injected?.revert()
        let concluded = kind.conclude(run, child: child, stepSeconds: stepSeconds)
        checks += concluded.checks
        return StepOutcome(checks: checks, exitCode: child.exitCode, errorLine: child.errorLine, messages: messages.isEmpty ? nil : messages, measured: concluded.measured)
    }

    /// Runs the child in the step's environment: the scenario's, what the faults applied before
    /// the step set (some change its configuration), then the step's own `env`.
    private func runChild(_ arguments: [String]) throws -> PraChild.Result {
        let context = run.context
        var environment = context.environment
        for (key, value) in run.step.environment { environment[key] = value }
        context.isStepRunning = true
        defer { context.isStepRunning = false }
        return try PraChild(executable: context.praExecutable).run(arguments, environment: environment)
    }
}
