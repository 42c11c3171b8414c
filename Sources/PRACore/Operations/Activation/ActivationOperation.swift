import Foundation

/// `pra activate`: the emergency plan as one command. Three timed phases against the plan's
/// budgets — preparation (recovery point, recovery server, data-loss window, confirmation),
/// restoration (the restore, then the switch hooks), verification (the new server behind the
/// switch) — with a notification at the start, at each phase's end and at the end, an incident
/// report, and a state file written at every transition so that a run killed anywhere is
/// continued (or clearly refused) by the next.
public struct ActivationOperation {
    /// What to activate.
    public struct Request: Sendable {
        public var strategy: ActivationStrategy
        /// Rehearsal: restore into a scratch target, print the hooks instead of running them,
        /// probe no health URL, remove the scratch target afterwards, write no state file.
        public var dryRun: Bool

        public init(strategy: ActivationStrategy, dryRun: Bool = false) {
            self.strategy = strategy
            self.dryRun = dryRun
        }
    }

    public var configuration: Configuration
    public var progress: ProgressReporter?
    /// Receives each line for the operator as it happens (phase starts, preparation, hooks).
    public var say: (String) -> Void
    /// Asked once the preparation is printed; `false` refuses (nothing was done).
    public var confirm: (ActivationPreparation) -> Bool

    public init(configuration: Configuration, progress: ProgressReporter? = nil, say: @escaping (String) -> Void, confirm: @escaping (ActivationPreparation) -> Bool) {
        self.configuration = configuration
        self.progress = progress
        self.say = say
        self.confirm = confirm
    }

    /// `ACTIVATION_STATE_FILE`, default `REPORT_DIR/activation-state.json`.
    public static func stateFile(_ configuration: Configuration) -> String {
        configuration[.activationStateFile] ?? (configuration.reportDirectory as NSString).appendingPathComponent("activation-state.json")
    }

    /// The switch hooks `ACTIVATION_HOOKS_FILE` lists (none when unset).
    public static func hooks(_ configuration: Configuration) throws(ActivationError) -> [ActivationHook] {
        guard let path = configuration[.activationHooksFile] else { return [] }
        return try ActivationHookFile.load(path: path)
    }

    /// Removes the state file deliberately (`--abandon`); returns what it said.
    public static func abandon(_ configuration: Configuration) throws(ActivationError) -> ActivationState? {
        let path = stateFile(configuration)
        let lock = try ActivationLock(stateFile: path)
        defer { withExtendedLifetime(lock) {} }
        let state = try? ActivationState.load(path: path)
        if FileManager.default.fileExists(atPath: path) {
            guard unlink(path) == 0 else { throw ActivationError("cannot remove \(path): \(String(cString: strerror(errno)))") }
            DurableFile.syncDirectory(of: path)
        }
        return state ?? nil
    }

    /// Runs (or continues) the activation. Refusals before anything was done throw an
    /// ``ActivationError`` with `isRefusal`; everything else ends in the returned record (also
    /// written as the report and, unless a rehearsal, the state file), which says how far it got.
    public func run(_ request: Request) throws(ActivationError) -> (state: ActivationState, report: String?, reportError: String?) {
        let budgets: ActivationBudgets
        do {
            budgets = try ActivationBudgets(configuration: configuration)
        } catch {
            throw ActivationError(error.description)
        }
        let hooks = try Self.hooks(configuration)
        let path = Self.stateFile(configuration)
        let lock = try ActivationLock(stateFile: path)
        defer { withExtendedLifetime(lock) {} }
        let now = Date()
        let stamp = BackupArchiveName.stamp(now)
        var run = ActivationRun(operation: self, stateFile: request.dryRun ? nil : path, hooks: hooks, state: ActivationState(id: stamp, dryRun: request.dryRun, strategy: request.strategy.kind, target: request.strategy.target, startedAt: now, budgets: budgets))
        var resume = ActivationResume.start
        var strategy = request.strategy
        if request.dryRun {
            strategy = request.strategy.rehearsal(stamp: stamp)
            run.state.target = strategy.target
        } else {
            resume = try resumeFrom(stateFile: path, request: request, hooks: hooks, budgets: budgets, run: &run)
        }
        run.notify(.success, "activation \(resume == .start ? "started" : "resumed")", detail: "\(strategy.kind.rawValue) into \(strategy.target)" + (request.dryRun ? " (rehearsal)" : ""))
        try runPhases(from: resume, strategy: strategy, dryRun: request.dryRun, run: &run)
        return run.finish()
    }

    /// Where a real activation starts: from the beginning, or where the state file says the
    /// last run stopped (said first, before anything happens); refusals throw.
    private func resumeFrom(stateFile path: String, request: Request, hooks: [ActivationHook], budgets: ActivationBudgets, run: inout ActivationRun) throws(ActivationError) -> ActivationResume {
        let existing = try ActivationState.load(path: path)
        let resume = ActivationResume.decide(state: existing, strategy: request.strategy.kind, target: request.strategy.target, hooks: hooks, stateFile: path)
        if case .refuse(let why) = resume { throw ActivationError(why) }
        guard let existing else { return resume }
        run.state = existing
        run.state.runs += 1
        run.state.failure = nil
        run.state.budgets = budgets
        let action: String
        switch resume {
        case .restart(let reason): action = reason
        case .switchFrom(let hook): action = "continuing with switch hook \(hook + 1) of \(hooks.count)"
        case .verify: action = "continuing with verification"
        case .start, .refuse: action = ""
        }
        run.event("resumed (run \(run.state.runs)) at \(existing.standing): \(action)")
        run.say("resumed (run \(run.state.runs)) at \(existing.standing): \(action)")
        return resume
    }

    /// The phases from `resume` on. A refusal is recorded, announced and thrown; any other
    /// failure is recorded in the state, which the caller's report then shows.
    private func runPhases(from resume: ActivationResume, strategy: ActivationStrategy, dryRun: Bool, run: inout ActivationRun) throws(ActivationError) {
        do throws(ActivationError) {
            switch resume {
            case .start, .restart:
                try run.prepare(strategy)
                try run.restore(strategy, dryRun: dryRun)
                try run.switchTraffic(from: 0, dryRun: dryRun)
            case .switchFrom(let hook):
                try run.switchTraffic(from: hook, dryRun: false)
            case .verify:
                break
            case .refuse:
                return
            }
            try run.verify(dryRun: dryRun)
            if dryRun { run.removeScratch(strategy) }
        } catch {
            if dryRun { run.removeScratch(strategy) }
            run.state.failure = error.message
            run.save()
            if error.isRefusal {
                run.notify(.failure, "activation refused", detail: error.message)
                throw error
            }
        }
    }
}
