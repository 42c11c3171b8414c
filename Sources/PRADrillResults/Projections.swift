import Foundation

/// What production would see, from the measured figures and the configured schedule.
/// Always labelled as projections next to the measured values.
public struct Projections: Codable, Sendable, Equatable {
    /// `PRODUCTION_DB_SIZE` in bytes, when configured.
    public var productionDatabaseBytes: Double?
    /// Measured restore throughput: database bytes restored per second of the restore.
    public var restoreBytesPerSecond: Double?
    /// RTO at `PRODUCTION_DB_SIZE` at the measured throughput.
    public var projectedRTOSeconds: Double?
    /// `BACKUP_INTERVAL`.
    public var backupIntervalSeconds: Double
    /// Measured duration of the scenario's last successful backup.
    public var backupSeconds: Double?
    /// Worst-case RPO: backup interval + the measured backup duration (not scaled to production).
    public var worstCaseRPOSeconds: Double?

    public init(productionDatabaseBytes: Double? = nil, restoreBytesPerSecond: Double? = nil, projectedRTOSeconds: Double? = nil, backupIntervalSeconds: Double, backupSeconds: Double? = nil, worstCaseRPOSeconds: Double? = nil) {
        self.productionDatabaseBytes = productionDatabaseBytes
        self.restoreBytesPerSecond = restoreBytesPerSecond
        self.projectedRTOSeconds = projectedRTOSeconds
        self.backupIntervalSeconds = backupIntervalSeconds
        self.backupSeconds = backupSeconds
        self.worstCaseRPOSeconds = worstCaseRPOSeconds
    }
}
