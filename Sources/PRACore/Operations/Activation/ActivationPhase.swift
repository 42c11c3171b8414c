/// The emergency plan's three timed phases, in the order `pra activate` runs them.
public enum ActivationPhase: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    /// Find the newest valid recovery point, check the recovery server, state the data loss.
    case preparation
    /// Restore (or promote), then run the switch hooks.
    case restoration
    /// Health URLs, critical tables and row counts, the new server's status.
    case verification

    /// The setting holding this phase's budget.
    public var budgetSetting: Setting {
        switch self {
        case .preparation: return .activationPreparationBudget
        case .restoration: return .activationRestorationBudget
        case .verification: return .activationVerificationBudget
        }
    }

    /// The name of the setting holding this phase's budget.
    public var budgetVariable: String { budgetSetting.name }
}

extension RestoreResult.Phase {
    /// An activation's phase as a restore phase, named with the plan's budget for it: a drill
    /// records an activation's phases as its RTO's, so the compliance report's RTO phases show
    /// each against its budget (`activation restoration (plan budget 15m00s)`).
    public static func activation(_ verdict: ActivationBudgets.PhaseVerdict) -> RestoreResult.Phase {
        let budget = "plan budget \(DurationParser.format(verdict.budgetSeconds))" + (verdict.overBudget ? ", OVER BUDGET" : "")
        return RestoreResult.Phase(name: "activation \(verdict.phase.rawValue) (\(budget))", seconds: verdict.seconds)
    }
}
