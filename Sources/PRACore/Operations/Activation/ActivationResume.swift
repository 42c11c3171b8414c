/// What a `pra activate` does given the state an earlier run left: the resume rules, kept free
/// of I/O so they are tested on their own.
///
/// Never restores again once a restore was verified (its database may already take traffic),
/// and never runs a switch hook before a verified restore.
public enum ActivationResume: Equatable, Sendable {
    /// No activation in progress: start one.
    case start
    /// Nothing was put in place yet (interrupted in preparation, or during or after a failed
    /// logical restore, which renames into place only when complete): start again from
    /// preparation, continuing the same record.
    case restart(reason: String)
    /// Restored and verified: run the switch hooks from this one (0-based).
    case switchFrom(hook: Int)
    /// Switched: run verification.
    case verify
    /// Refuse, saying why and what to do.
    case refuse(String)

    /// The decision for a request of `strategy` into `target` (`hooks`: the configured ones)
    /// over `state` (`nil`: no state file).
    public static func decide(state: ActivationState?, strategy: ActivationStrategy.Kind, target: String, hooks: [ActivationHook], stateFile: String) -> ActivationResume {
        guard let state else { return .start }
        let abandon = "remove it deliberately with pra activate --abandon (the state file is \(stateFile))"
        if state.stage == .activated {
            return .refuse("activation \(state.id) into \(state.target) is already complete; to start a new one, \(abandon)")
        }
        if state.strategy != strategy || state.target != target {
            return .refuse("activation \(state.id) (\(state.strategy.rawValue) into \(state.target)) is in progress and stopped at \(state.standing); run pra activate with the same target to continue it, or \(abandon)")
        }
        let done = state.hooks.filter(\.succeeded).map(\.command)
        if done.count > hooks.count || zip(done, hooks.map(\.commandLine)).contains(where: { $0 != $1 }) {
            return .refuse("the switch hooks in ACTIVATION_HOOKS_FILE changed since activation \(state.id) ran \(done.count) of them (\(done.joined(separator: "; "))); the hooks already run must stay first, unchanged")
        }
        switch state.stage {
        case .preparing:
            return .restart(reason: "the previous run stopped in preparation: nothing was restored or switched")
        case .restoring:
            if state.strategy == .standby {
                return .restart(reason: "the previous run stopped during the promotion of the standby: it is inspected again and, if it was promoted, taken as it is (never promoted twice)")
            }
            if state.strategy == .logical {
                return .restart(reason: "the previous run stopped during the restore: a logical restore puts the database in place only once loaded and checked, so nothing was switched and the restore starts again")
            }
            return .refuse("the previous run stopped during the point-in-time restore into \(state.target): the directory may be half-written and a recovery server may be running there; stop it, move the directory aside, then \(abandon) and run pra activate again")
        case .restored, .switching:
            return .switchFrom(hook: state.hooksCompleted)
        case .switched, .verifying:
            return .verify
        case .activated:
            return .refuse("activation \(state.id) is already complete")
        }
    }
}
