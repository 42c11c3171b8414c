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
    /// `archive_timeout` of a scenario that proved continuous archiving (the WAL archive
    /// restored by point-in-time recovery); `nil` otherwise.
    public var archiveTimeoutSeconds: Double? = nil
    /// Measured archive lag: from a forced WAL switch until the segment was in the archive
    /// (the slowest `pra backup --incremental` of the scenario).
    public var archiveLagSeconds: Double? = nil
    /// Worst-case RPO with continuous archiving: `archive_timeout` + the measured archive lag.
    public var continuousArchivingRPOSeconds: Double? {
        guard let archiveTimeoutSeconds else { return nil }
        return archiveTimeoutSeconds + (archiveLagSeconds ?? 0)
    }

    public init(productionDatabaseBytes: Double? = nil, restoreBytesPerSecond: Double? = nil, projectedRTOSeconds: Double? = nil, backupIntervalSeconds: Double, backupSeconds: Double? = nil, worstCaseRPOSeconds: Double? = nil) {
        self.productionDatabaseBytes = productionDatabaseBytes
        self.restoreBytesPerSecond = restoreBytesPerSecond
        self.projectedRTOSeconds = projectedRTOSeconds
        self.backupIntervalSeconds = backupIntervalSeconds
        self.backupSeconds = backupSeconds
        self.worstCaseRPOSeconds = worstCaseRPOSeconds
    }
}
