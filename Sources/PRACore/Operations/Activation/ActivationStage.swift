/// How far an activation got: written to the state file at every transition, read back by a
/// resumed `pra activate`.
public enum ActivationStage: String, Codable, Sendable {
    /// Looking for the recovery point; nothing destructive yet.
    case preparing
    /// The restore (or promotion) started and has not been verified.
    case restoring
    /// Restored and its checks passed; no switch hook has run.
    case restored
    /// Running the switch hooks: `hooksCompleted` of them succeeded.
    case switching
    /// Every hook succeeded: traffic goes to the recovered server.
    case switched
    /// Checking the recovered server behind the switch.
    case verifying
    /// Verified: the activation is complete.
    case activated

    /// The phase the stage belongs to.
    public var phase: ActivationPhase {
        switch self {
        case .preparing: return .preparation
        case .restoring, .restored, .switching, .switched: return .restoration
        case .verifying, .activated: return .verification
        }
    }
}
