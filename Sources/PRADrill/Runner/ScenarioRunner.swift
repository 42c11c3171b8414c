import Foundation
import PRACore
import PRAHarness
import PRADrillResults

/// Runs one scenario on a scratch cluster of its own and judges it.
struct ScenarioRunner {
    let scenario: Scenario
    let options: DrillOptions
    /// The run's seeded templates; `nil`: initdb and seed this scenario's cluster itself.
    var templates: SeededTemplates? = nil

    /// A failure to set up the scenario's world: the scenario fails with this error.
    struct SetupFailure: Error {
        let message: String
        var log: [String] = []
    }

    func run() -> ScenarioResult {
        let clock = MonotonicClock.now()
        let scale = options.scaleOverride ?? scenario.scale ?? options.defaultScale
        let rpoTarget = scenario.rpoTarget ?? options.rpoTarget
        let rtoTarget = scenario.rtoTarget ?? options.rtoTarget
        var result = ScenarioResult(
            name: scenario.name, file: scenario.file, description: scenario.description, tags: scenario.tags,
            verdict: .passed, fixture: scenario.fixture, scale: scale, startedAt: Date(), seconds: 0,
            checks: [], steps: [], measurement: DrillMeasurement(rtoTargetSeconds: rtoTarget, rpoTargetSeconds: rpoTarget), log: [])
        if let reason = skipReason() {
            result.verdict = .skipped
            result.skippedReason = reason
            result.log = ["skipped: \(reason)"]
            options.echo?("skipped: \(reason)")
            return result
        }
        let workDirectory = (options.workRoot as NSString).appendingPathComponent(scenario.name)
        try? FileManager.default.removeItem(atPath: workDirectory)
        let cleanupToken = options.keep ? nil : InterruptCleanup.shared.register { try? FileManager.default.removeItem(atPath: workDirectory) }
        defer {
            if let cleanupToken {
                InterruptCleanup.shared.unregister(cleanupToken)
                try? FileManager.default.removeItem(atPath: workDirectory)
            }
        }
        let world = ScenarioWorld(scenario: scenario, options: options, templates: templates, scale: scale, workDirectory: workDirectory)
        defer { world.tearDown() }
        let context: ScenarioContext
        do {
            context = try world.start()
        } catch {
            result.verdict = .failed
            result.error = error.message
            result.log = error.log
            result.seconds = clock.elapsed()
            return result
        }
        let state = MeasurementState()
        for (offset, step) in scenario.steps.enumerated() {
            let (record, checks) = execute(step, index: offset + 1, context: context, state: state)
            result.steps.append(record)
            result.checks += checks
        }
        world.finishSteps()
        result.checks += targetChecks(state, rtoTarget: rtoTarget, rpoTarget: rpoTarget)
        result.measurement = DrillMeasurement(
            rtoSeconds: state.rto, rtoTargetSeconds: rtoTarget, rtoPhases: state.rtoPhases,
            rpoSeconds: state.rpo, rpoTargetSeconds: rpoTarget,
            heartbeatsWritten: state.heartbeatsWritten, heartbeatsRecovered: state.heartbeatsRecovered,
            projections: projections(state))
        result.verdict = result.checks.allSatisfy(\.passed) ? .passed : .failed
        if options.keep { context.log("kept \(workDirectory)") }
        result.log = context.logLines
        result.seconds = clock.elapsed()
        return result
    }

    /// Why this scenario cannot run on this machine, if it cannot.
    func skipReason() -> String? {
        for step in scenario.steps {
            if let fault = step.fault?.fault, let reason = type(of: fault.implementation).unavailableReason() { return reason }
            if let reason = step.action.implementation.unavailableReason() { return reason }
        }
        return nil
    }

    /// The measurements against the targets, when a disaster was recovered from.
    private func targetChecks(_ state: MeasurementState, rtoTarget: Double, rpoTarget: Double) -> [CheckResult] {
        guard state.disasterDate != nil else { return [] }
        var checks: [CheckResult] = []
        if let rto = state.rto {
            checks.append(CheckResult(.rto, passed: rto <= rtoTarget, expected: "≤ \(MeasuredDuration.format(rtoTarget))", actual: MeasuredDuration.format(rto), message: rto <= rtoTarget ? nil : "expected RTO ≤ \(MeasuredDuration.format(rtoTarget)), got \(MeasuredDuration.format(rto))", seconds: rto))
        } else {
            checks.append(CheckResult(.rto, passed: false, expected: "≤ \(MeasuredDuration.format(rtoTarget))", actual: "no recovery", message: "expected a successful restore after the disaster, got none"))
        }
        guard scenario.heartbeatRate != nil else { return checks }
        if let rpo = state.rpo {
            checks.append(CheckResult(.rpo, passed: rpo <= rpoTarget, expected: "≤ \(MeasuredDuration.format(rpoTarget))", actual: MeasuredDuration.format(rpo), message: rpo <= rpoTarget ? nil : "expected RPO ≤ \(MeasuredDuration.format(rpoTarget)), got \(MeasuredDuration.format(rpo))"))
        } else {
            checks.append(CheckResult(.rpo, passed: false, expected: "≤ \(MeasuredDuration.format(rpoTarget))", actual: "not measured", message: "expected a recovered heartbeat to measure RPO from, got \(state.rpoNote ?? "none")"))
        }
        return checks
    }

    private func projections(_ state: MeasurementState) -> Projections {
        var projections = Projections(productionDatabaseBytes: options.productionDatabaseBytes, restoreBytesPerSecond: state.restoreBytesPerSecond, backupIntervalSeconds: options.backupInterval, backupSeconds: state.lastBackupSeconds)
        if let bytes = options.productionDatabaseBytes, let rate = state.restoreBytesPerSecond, rate > 0 {
            projections.projectedRTOSeconds = bytes / rate
        }
        if let backup = state.lastBackupSeconds {
            projections.worstCaseRPOSeconds = options.backupInterval + backup
        }
        // Continuous archiving's worst case is proven only by a recovery to the latest point
        // after the disaster: a recovery to an earlier mark measures that mark, not what the
        // archive keeps.
        if let timeout = scenario.archiveTimeout, state.recoveredLatest {
            projections.archiveTimeoutSeconds = timeout
            projections.archiveLagSeconds = state.archiveLag
        }
        return projections
    }

    // MARK: - Steps

    /// Runs one step (its kind does the work, ``DrillStep/run(_:)``) and records it.
    private func execute(_ step: Step, index: Int, context: ScenarioContext, state: MeasurementState) -> (StepRecord, [CheckResult]) {
        let clock = MonotonicClock.now()
        let action = step.action.implementation
        var record = StepRecord(index: index, kind: step.action.kind.rawValue, summary: summary(step), startedAt: Date(), seconds: 0)
        let run = StepRun(step: step, label: "step \(index) \(step.action.kind.rawValue)", context: context, state: state, scenario: scenario, options: options)
        let outcome = action.run(run)
        record.exitCode = outcome.exitCode
        record.errorLine = outcome.errorLine
        record.messages = outcome.messages
        record.rtoSeconds = outcome.measured?.rto
        record.rpoSeconds = outcome.measured?.rpo
        record.disasterClass = outcome.disasterClass
        if let recovered = state.disasterClass, let method = action.recoveryMethod {
            record.disasterClass = recovered
            record.recoveryMethod = method
        }
        record.seconds = clock.elapsed()
        return (record, outcome.checks)
    }

    private func summary(_ step: Step) -> String {
        guard let injected = step.fault else { return step.action.description }
        switch injected.trigger {
        case .before: return "\(step.action) with \(injected.fault) before it"
        case .afterSeconds(let seconds): return "\(step.action) with \(injected.fault) after \(DurationParser.format(seconds))"
        case .afterBytes(let bytes): return "\(step.action) with \(injected.fault) after \(ByteCount.format(bytes)) written"
        }
    }
}
