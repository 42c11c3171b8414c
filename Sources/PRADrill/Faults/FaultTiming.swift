/// When a fault strikes relative to the step it is injected into.
public enum FaultTiming: String, Sendable, Equatable, Encodable {
    /// When its trigger fires: before the step (no trigger), or `after:` / `after_bytes:` into
    /// it. As a fault step: between the steps.
    case atTrigger = "at-trigger"
    /// It acts on the running step itself: started with the step whatever the trigger, it
    /// waits for the step's work (e.g. its database session streaming) and strikes then; it
    /// reports its own failure when the step ends first.
    case duringStep = "during-step"
    /// It changes the configuration the step starts with: before the step only, so `after:`
    /// and `after_bytes:` are errors.
    case beforeStep = "before-step"

    /// In words, for the reference.
    public var explanation: String {
        switch self {
        case .atTrigger: return "when its trigger fires: before the step, or after:/after_bytes: into it"
        case .duringStep: return "during the step, once the step's work is running (with or without a trigger)"
        case .beforeStep: return "before the step only (it changes the step's configuration; after/after_bytes are errors)"
        }
    }
}
