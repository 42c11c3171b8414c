/// What a restore check judges. The raw value is the check's recorded name (`checks[].name` in
/// `--json` and the report), so the drill runner finds a check through this type, never by text.
public enum RestoreCheckKind: String, Sendable, Codable, CaseIterable {
    case tables
    case integrity
    case criticalTables = "critical tables"
    case health
    case endpoint
    case sources
    case movedAside = "moved aside"
    case stop
    case target
    case server
    case archiveCaughtUp = "archive caught up"
}

extension RestoreResult.Check {
    /// A check of `kind`, named by it.
    public init(_ kind: RestoreCheckKind, passed: Bool, message: String) {
        self.init(name: kind.rawValue, passed: passed, message: message)
    }

    /// Which check this is; `nil` for a name this version does not know.
    public var kind: RestoreCheckKind? { RestoreCheckKind(rawValue: name) }
}

extension RestoreResult.Phase {
    /// Which phase this is; `nil` for a name this version does not know.
    public var phase: OperationPhase? { OperationPhase(rawValue: name) }
}
