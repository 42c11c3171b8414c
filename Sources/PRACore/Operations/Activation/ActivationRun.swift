import Foundation

/// One run of `pra activate`: the steps of ``ActivationOperation``, each moving the record
/// forward and saving it (with the time spent in the current phase) before and after anything
/// that changes the world.
struct ActivationRun {
    let operation: ActivationOperation
    /// `nil` for a rehearsal: it never writes the live activation's state.
    let stateFile: String?
    let hooks: [ActivationHook]
    var state: ActivationState
    private var phase: ActivationPhase?
    private var tick = MonotonicClock.now()

    init(operation: ActivationOperation, stateFile: String?, hooks: [ActivationHook], state: ActivationState) {
        self.operation = operation
        self.stateFile = stateFile
        self.hooks = hooks
        self.state = state
    }

    private var configuration: Configuration { operation.configuration }

    // MARK: Steps

    /// Preparation: everything found is said before anything destructive, then confirmation.
    mutating func prepare(_ strategy: ActivationStrategy) throws(ActivationError) {
        begin(.preparation, stage: .preparing)
        let preparation = try ActivationPreparation.run(configuration: configuration, strategy: strategy)
        state.recoveryPoint = preparation.recoveryPoint
        say("preparation: " + preparation.recoveryPoint.sentence)
        for line in preparation.server { say("preparation: " + line) }
        for note in preparation.notes { say("preparation: note: " + note) }
        say("preparation: plan: \(strategy.kind.rawValue) restore into \(strategy.target)" + (state.dryRun ? " (rehearsal: a scratch target, removed afterwards)" : ""))
        for (index, hook) in hooks.enumerated() {
            say("preparation: switch hook \(index + 1): \(hook.name): \(hook.commandLine) (timeout \(DurationParser.format(hook.timeoutSeconds)))" + (state.dryRun ? " [rehearsal: not run]" : ""))
        }
        if hooks.isEmpty { say("preparation: no switch hook (ACTIVATION_HOOKS_FILE unset): traffic is switched by hand") }
        event("recovery point found: \(preparation.recoveryPoint.sentence)")
        save()
        if !state.dryRun && !operation.confirm(preparation) {
            throw ActivationError("activation not confirmed: nothing was restored or switched")
        }
        end(.preparation)
    }

    /// Restoration, first half: the restore. Only a restore whose checks passed moves on.
    mutating func restore(_ strategy: ActivationStrategy, dryRun: Bool) throws(ActivationError) {
        begin(.restoration, stage: .restoring)
        event("restore started: \(strategy.kind.rawValue) into \(strategy.target)")
        save()
        let outcome: ActivationStrategy.Outcome
        do {
            outcome = try strategy.restore(configuration: configuration, dryRun: dryRun, progress: operation.progress)
        } catch {
            throw ActivationError("restore refused (\(error.stage)): \(error.message)", isRefusal: error.isUsageError)
        }
        state.restoreSummary = outcome.summary
        state.restoreReport = outcome.reportFile
        state.restoredArchive = outcome.archive
        guard outcome.succeeded else {
            throw ActivationError("the restore did not pass its checks, nothing was switched: \(outcome.summary)", isRefusal: false)
        }
        if let recovered = outcome.recoveredTo, var point = state.recoveryPoint {
            point.at = recovered
            state.recoveryPoint = point
        }
        state.server = outcome.server
        state.stage = .restored
        event("restored and checked: \(outcome.summary)")
        say("restoration: \(outcome.summary)")
        save()
    }

    /// Restoration, second half: the switch hooks in order, from `first`. A failing hook stops
    /// the activation, the record saying how far the switch went.
    mutating func switchTraffic(from first: Int, dryRun: Bool) throws(ActivationError) {
        begin(.restoration, stage: state.stage)
        guard let server = state.server, state.stage.phase != .preparation, state.stage != .restoring else {
            throw ActivationError("no verified restore to switch to (\(state.standing))")
        }
        if dryRun {
            for (index, hook) in hooks.enumerated() { say("restoration: rehearsal: would run switch hook \(index + 1) (\(hook.name)): \(hook.commandLine)") }
        } else {
            let runner = ActivationHookRunner(server: server, activationID: state.id)
            for index in first..<max(first, hooks.count) {
                let hook = hooks[index]
                state.stage = .switching
                state.hooksCompleted = index
                event("switch hook \(index + 1) (\(hook.name)) started")
                save()
                say("restoration: switch hook \(index + 1) of \(hooks.count) (\(hook.name)): \(hook.commandLine)")
                let record = runner.run(hook)
                state.hooks.append(record)
                guard record.succeeded else {
                    event("switch hook \(index + 1) (\(hook.name)) FAILED: \(record.failure ?? "?")")
                    throw ActivationError("switch hook \(index + 1) (\(hook.name)) failed: \(record.failure ?? "?"); restored and verified, \(index == 0 ? "nothing switched" : "switched up to hook \(index) of \(hooks.count)"); fix it, then run pra activate again to continue from hook \(index + 1)", isRefusal: false)
                }
                state.hooksCompleted = index + 1
                event("switch hook \(index + 1) (\(hook.name)) succeeded in \(DurationParser.format(record.seconds))")
            }
        }
        state.stage = .switched
        event(dryRun ? "rehearsal: switch hooks printed, not run" : "switched (\(hooks.count) hook(s))")
        save()
        end(.restoration)
    }

    /// Verification: the recovered server behind the switch.
    mutating func verify(dryRun: Bool) throws(ActivationError) {
        begin(.verification, stage: .verifying)
        guard let server = state.server else { throw ActivationError("no recovered server recorded to verify (\(state.standing))", isRefusal: false) }
        event("verification started")
        save()
        let manifest = state.restoredArchive.flatMap { try? BackupManifest.load(path: $0 + BackupArchiveName.manifestSuffix) }
        // A rehearsed standby is still a standby: read-only, in recovery.
        let standbyRehearsal = dryRun && state.strategy == .standby
        state.checks = ActivationVerification(configuration: configuration, server: server, manifest: manifest, probeHealth: !dryRun, requireWritable: !standbyRehearsal).run()
        for check in state.checks { say("verification: \(check.passed ? "✓" : "✗") \(check.name): \(check.message)") }
        let failed = state.checks.filter { !$0.passed }
        guard failed.isEmpty else {
            event("verification FAILED")
            throw ActivationError("verification failed: " + failed.map { "\($0.name): \($0.message)" }.joined(separator: "; "), isRefusal: false)
        }
        state.stage = .activated
        event(dryRun ? "rehearsal verified" : "activated")
        save()
        end(.verification)
    }

    /// A rehearsal's scratch target goes away once checked (or failed): nothing of it stays.
    mutating func removeScratch(_ strategy: ActivationStrategy) {
        switch strategy.kind {
        case .logical:
            do {
                let settings = try configuration.connectionSettings()
                let admin = try PostgresConnection(settings, database: configuration[.restoreMaintenanceDB] ?? "postgres", applicationName: "pra-activate")
                _ = try admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(strategy.target)) WITH (FORCE)")
                event("rehearsal: scratch database \(strategy.target) dropped")
            } catch {
                event("rehearsal: the scratch database \(strategy.target) could not be dropped: \(error)")
            }
        case .standby:
            return
        case .pointInTime:
            ServerControl.shutdown(dataDirectory: strategy.target)
            do {
                if FileManager.default.fileExists(atPath: strategy.target) { try FileManager.default.removeItem(atPath: strategy.target) }
                event("rehearsal: scratch server stopped, \(strategy.target) removed")
            } catch {
                event("rehearsal: \(strategy.target) could not be removed: \(error)")
            }
        }
        say("rehearsal: " + (state.timeline.last?.text ?? ""))
    }

    /// Ends the run: the last notification, the state, the report.
    mutating func finish() -> (state: ActivationState, report: String?, reportError: String?) {
        // A phase still open here was cut short by a failure: its time counts, it is not "done".
        flushTime()
        phase = nil
        if state.failure != nil || state.stage == .activated { state.endedAt = Date() }
        let budget = state.verdicts.map(\.line).joined(separator: ", ")
        if let failure = state.failure {
            notify(.failure, "activation FAILED at \(state.stage.phase.rawValue)", detail: "\(failure); \(budget)")
        } else {
            notify(.success, state.overBudget ? "activation complete, OVER BUDGET" : "activation complete", detail: "\(state.target) verified; \(budget); total \(DurationParser.format(state.totalSeconds)) of \(DurationParser.format(state.budgets.total))")
        }
        save()
        do {
            let report = try ActivationReport(state: state).write(to: configuration.reportDirectory)
            return (state, report, nil)
        } catch {
            return (state, nil, "the activation report could not be written: \(error)")
        }
    }

    // MARK: Record keeping

    /// Starts timing `phase` (the time since the last tick goes to the previous one).
    private mutating func begin(_ next: ActivationPhase, stage: ActivationStage) {
        flushTime()
        phase = next
        state.stage = stage
    }

    /// A phase is over: its time is recorded and the team told.
    private mutating func end(_ finished: ActivationPhase) {
        flushTime()
        phase = nil
        let seconds = state.phaseSeconds[finished] ?? 0
        let budget = state.budgets.seconds[finished] ?? 0
        event("\(finished.rawValue) done in \(DurationParser.format(seconds)) of \(DurationParser.format(budget))" + (seconds > budget ? " (OVER BUDGET)" : ""))
        save()
        notify(.success, "activation: \(finished.rawValue) done", detail: "\(DurationParser.format(seconds)) of \(DurationParser.format(budget))" + (seconds > budget ? " (OVER BUDGET)" : ""))
    }

    private mutating func flushTime() {
        if let phase { state.phaseSeconds[phase, default: 0] += tick.elapsed() }
        tick = MonotonicClock.now()
    }

    mutating func event(_ text: String) {
        state.note(text)
    }

    func say(_ line: String) {
        operation.say(line)
    }

    /// Writes the state file (not for a rehearsal) with the time spent so far. A state that
    /// cannot be written is said (the activation goes on: it is the emergency).
    mutating func save() {
        flushTime()
        guard let stateFile else { return }
        do {
            try state.save(path: stateFile)
        } catch {
            say("warning: \(error)")
        }
    }

    /// Tells the team: the recovery point and data-loss window, elapsed against budget. A
    /// rehearsal says what it would send instead.
    mutating func notify(_ kind: Alert.Kind, _ what: String, detail: String) {
        let point = state.recoveryPoint.map { "; \($0.sentence)" } ?? ""
        let location = "\(state.strategy.rawValue) into \(state.target)"
        let alert = Alert(kind: kind, command: "activate", what: what, location: location, detail: detail + point)
        guard !state.dryRun else { return }
        let dispatcher = AlertDispatcher(configuration: configuration, alertOnSuccess: true)
        let deliveries = dispatcher.send(alert)
        let problems = dispatcher.warnings(for: deliveries)
        if !problems.isEmpty {
            state.notificationProblems += problems.map { "\(what): \($0)" }
            for problem in problems { say("warning: \(problem)") }
        }
    }
}
