import Foundation

/// What production would see, from the measured figures and the configured schedule.
/// Always labelled as projections next to the measured values.
public struct Projections: Codable, Sendable, Equatable {
    /// `PRODUCTION_DB_SIZE` in bytes, when configured.
    public var productionDatabaseBytes: Double?
    /// Measured restore throughput: database bytes restored per second of the restore step
    /// that ended the RTO. With that step's duration it also gives the restored database's size
    /// (throughput × seconds), which the compliance report's fit (fixed cost + size ÷
    /// throughput, over every run) needs.
    public var restoreBytesPerSecond: Double?
    /// `PRODUCTION_DB_SIZE` ÷ this scenario's throughput: a throughput-only upper bound, which
    /// scales the restore's fixed cost with the size (thirty-fold too high at 1.2 GB from a
    /// 15 MB drill). Kept in the record (JSON, JUnit properties) for continuity; the compliance
    /// report projects the RTO from its fit over the history instead.
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
