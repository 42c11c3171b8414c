/// What a `pra status` check judges. The raw value is the check's recorded name (`checks[].name`
/// in `--json`), so the evidence log, the monitoring exports and the report find a check
/// through this type, never by matching its text.
public enum StatusCheckKind: String, Sendable, Codable, CaseIterable {
    case database
    case backupAge = "backup age"
    case baseBackupAge = "base backup age"
    case remoteCopyAge = "remote copy age"
    case archiving
    case walAge = "wal age"
    case recoverable
    case criticalTables = "critical tables"
    case databaseSize = "database size"
    case disk
    case health
    case verification
    case offSiteLag = "off-site lag"
    case offSiteQueue = "off-site queue"
    case offSiteWindow = "off-site window"
}

extension StatusReport.Check {
    /// A check of `kind`, named by it.
    public init(_ kind: StatusCheckKind, level: StatusLevel, message: String, value: Double? = nil) {
        self.init(name: kind.rawValue, level: level, message: message, value: value)
    }

    /// Which check this is; `nil` for a name this version does not know.
    public var kind: StatusCheckKind? { StatusCheckKind(rawValue: name) }
}

extension StatusReport {
    /// The first check of `kind`.
    public func check(_ kind: StatusCheckKind) -> Check? {
        checks.first { $0.kind == kind }
    }
}
