/// What undoes a fault.
public enum FaultUndo: Sendable, Equatable {
    /// Nothing to undo: the fault itself repairs (start-server).
    case nothing
    /// It stays: the damage is permanent (a corrupted archive).
    case never
    /// It stays until a later fault step of this kind (crash-server until start-server).
    case byLaterFault(String)
    /// Injected: reverted right after the step; as a fault step: when the scenario ends.
    case afterStep

    /// In words, for the reference.
    public var explanation: String {
        switch self {
        case .nothing: return "nothing to undo"
        case .never: return "never: it stays"
        case .byLaterFault(let kind): return "a later `\(kind)` fault step"
        case .afterStep: return "injected: after the step; as a fault step: when the scenario ends"
        }
    }
}
