/// The emergency plan's three timed phases, in the order `pra activate` runs them.
public enum ActivationPhase: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    /// Find the newest valid recovery point, check the recovery server, state the data loss.
    case preparation
    /// Restore (or promote), then run the switch hooks.
    case restoration
    /// Health URLs, critical tables and row counts, the new server's status.
    case verification

    /// The setting holding this phase's budget.
    public var budgetVariable: String {
        switch self {
        case .preparation: return "ACTIVATION_PREPARATION_BUDGET"
        case .restoration: return "ACTIVATION_RESTORATION_BUDGET"
        case .verification: return "ACTIVATION_VERIFICATION_BUDGET"
        }
    }
}

extension RestoreResult.Phase {
    /// An activation's phase as a restore phase: a drill records the phases of an activation
    /// as its RTO's (`activation preparation`, ...).
    public static func activation(_ phase: ActivationPhase, seconds: Double) -> RestoreResult.Phase {
        RestoreResult.Phase(name: "activation \(phase.rawValue)", seconds: seconds)
    }
}
