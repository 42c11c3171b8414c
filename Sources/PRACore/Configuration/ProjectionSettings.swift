/// The targets and production figures drills and `pra report` project against, decoded once:
/// `RPO_TARGET`, `RTO_TARGET`, `BACKUP_INTERVAL`, `PRODUCTION_DB_SIZE`.
public struct ProjectionSettings: Sendable, Equatable {
    public var rpoTarget: Double
    public var rtoTarget: Double
    /// How often production backups run (worst-case RPO: interval + backup duration).
    public var backupInterval: Double
    /// The production database's size in bytes (RTO at that size); `nil` when not configured.
    public var productionDatabaseBytes: Double?

    public init(configuration: Configuration) throws(ConfigurationError) {
        rpoTarget = try configuration.seconds(.rpoTarget)
        rtoTarget = try configuration.seconds(.rtoTarget)
        backupInterval = try configuration.seconds(.backupInterval)
        productionDatabaseBytes = try configuration.bytes(.productionDBSize).map { Double($0) }
    }
}
