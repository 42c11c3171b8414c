/// A timed phase of an operation, as its result's `phases` records it, and the stage a restore
/// failed in (`failedStage`). The raw value is the recorded name (the JSON field's value),
/// shared by the core, the drill results (RTO phases) and the report, which find phases
/// through this type rather than by their text.
public enum OperationPhase: String, Sendable, Codable, CaseIterable {
    case chooseBackup = "choose backup"
    case fetchRemoteCopy = "fetch remote copy"
    case fetchOffSite = "fetch off-site"
    case verify
    case create
    case load
    case extract
    case recover
    case switchWAL = "switch WAL"
    case check
    /// Preparing the target (a point-in-time restore's data directory): a failure stage only.
    case target
    /// A standby's creation: reading the settings, configuring the extracted copy as a standby,
    /// writing its record, starting it (failure stages only).
    case configuration
    case configure
    case record
    case start
}
