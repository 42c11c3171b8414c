import Foundation

/// What a compliance report is built with, besides the history itself.
///
/// The projections use the configuration at report time (`PRODUCTION_DB_SIZE`,
/// `BACKUP_INTERVAL`, `RPO_TARGET`, `RTO_TARGET`), so changing the schedule in `.env` and running
/// `pra report` again answers "what if"; values left `nil` fall back to what the latest run
/// recorded.
public struct ComplianceSettings: Sendable {
    /// The reference time for ages ("last full drill 12 days ago").
    public var now: Date
    /// `--since`: the trend covers runs started at or after this date. The verdict always comes
    /// from the latest run and the last full drill from the whole history.
    public var since: Date?
    /// The scenario names a full drill runs (from the scenario files); `nil`: derived from the
    /// history (see ``DrillCatalogue``).
    public var catalogue: DrillCatalogue?
    /// A passing full drill older than this is a finding (default 35 days: monthly, with slack).
    public var maximumDrillAgeSeconds: Double
    /// `PRODUCTION_DB_SIZE` in bytes; `nil`: the size the latest run recorded, if any.
    public var productionDatabaseBytes: Double?
    /// `BACKUP_INTERVAL`; `nil`: the interval the latest run recorded.
    public var backupIntervalSeconds: Double?
    /// Time to copy a finished backup off the machine; `nil`: not configured, counted as 0 and
    /// labelled so.
    public var copySeconds: Double?
    /// `RTO_TARGET` / `RPO_TARGET` for the projections; `nil`: the latest run's scenario targets.
    public var rtoTargetSeconds: Double?
    public var rpoTargetSeconds: Double?
    /// The production size the evidence's newest status sample gives; used when
    /// `PRODUCTION_DB_SIZE` (``productionDatabaseBytes``) is unset.
    public var productionSizeFromEvidence: Double?
    /// Measured restores besides the drills of the history window (the calibration scenario's,
    /// real restore tests of production): fitted with them (see ``RestoreTimeModel``).
    public var restoreMeasurements: [RestoreMeasurement] = []
    /// Measured backups besides the drills', for the backup-duration fit.
    public var backupMeasurements: [BackupMeasurement] = []
    /// Histories of the calibration scenario (`pra drill run scenarios/calibration --history
    /// reports/calibration.jsonl`): read for their measurements only, never for the verdict.
    public var calibrationHistoryPaths: [String] = []
    /// The production configuration the verdict assumes, stated at the top of the report;
    /// `nil`: not stated.
    public var productionConfiguration: ProductionConfiguration?
    /// The history files read (one, or one per parallel job of a sharded drill).
    public var historyPaths: [String]
    /// `--evidence`: evidence files or directories of them (see ``EvidenceInput``); empty: none.
    public var evidencePaths: [String] = []
    /// Why no evidence file is read, for the report's "no production evidence" reason (for
    /// example "no evidence file at reports/evidence.jsonl").
    public var evidenceAbsence: String?
    /// `SLA_TARGET`: the availability target in percent.
    public var slaTargetPercent: Double = 99.9
    /// The plan's weekly restore test: a newer one is required (7 days).
    public var restoreTestMaximumAgeSeconds: Double = 7 * 86400
    /// The history files, as shown in the report.
    public var historyPath: String { historyPaths.joined(separator: ", ") }

    /// Settings with the defaults: now, no `--since`, catalogue from the history, 35 days.
    public init(now: Date = Date(), historyPath: String = "reports/history.jsonl") {
        self.init(now: now, historyPaths: [historyPath])
    }

    /// Settings reading several histories, for example one per job of a sharded drill
    /// (`pra drill run --shard I/N`), whose shards are reported as one run.
    public init(now: Date = Date(), historyPaths: [String]) {
        self.now = now
        self.historyPaths = historyPaths
        self.maximumDrillAgeSeconds = 35 * 86400
    }
}
