import Foundation

/// What the measured throughput and the configured schedule imply for production. These are
/// **projections**, never measurements, and the reports always label them so.
///
/// Arithmetic (every figure in seconds or bytes):
///
/// - Projected RTO = recovery overhead + `PRODUCTION_DB_SIZE` ÷ restore throughput, where the
///   throughput is the drill database's size over the restore step's duration and the overhead
///   is the part of the measured RTO outside the restore (detection, provisioning a server),
///   which does not grow with the size.
/// - Backup duration at production = drill backup duration × `PRODUCTION_DB_SIZE` ÷ drill
///   database size (the drill's backup throughput); without a production size or a drill size,
///   the drill's own backup duration, labelled as such.
/// - Worst-case RPO = `BACKUP_INTERVAL` + backup duration + copy time: a row committed just
///   after one backup's snapshot is only safe once the next backup has finished and been copied.
/// - The longest interval that meets the RPO target = target − backup duration − copy time; when
///   that is zero or less, no schedule of full backups can meet the target.
/// - With continuous archiving proven by the drill (a point-in-time recovery to the latest point from the WAL
///   archive), the worst-case RPO is `archive_timeout` + the measured archive lag instead: a
///   commit is safe once its WAL segment is switched and archived.
public struct ScheduleProjection: Sendable, Equatable, Encodable {
    /// What the projection is computed from.
    public struct Inputs: Sendable, Equatable, Encodable {
        /// `PRODUCTION_DB_SIZE`, bytes.
        public var productionBytes: Double?
        /// Drill database bytes restored per second of the restore step.
        public var restoreBytesPerSecond: Double?
        /// Measured RTO minus the restore step: time that does not scale with the size.
        public var recoveryOverheadSeconds: Double
        /// Size of the drill's database (restore throughput × restore step duration).
        public var drillDatabaseBytes: Double?
        /// Duration of the drill's last successful backup.
        public var backupSeconds: Double?
        /// `BACKUP_INTERVAL`.
        public var backupIntervalSeconds: Double
        /// Time to copy a backup off the machine; `nil` when not configured (counted as 0).
        public var copySeconds: Double?
        /// `RTO_TARGET` and `RPO_TARGET` the projections are judged against.
        public var rtoTargetSeconds: Double
        public var rpoTargetSeconds: Double
        /// `archive_timeout` of a drill that proved continuous archiving; `nil` otherwise.
        public var archiveTimeoutSeconds: Double? = nil
        /// The archive lag that drill measured (WAL switch until archived).
        public var archiveLagSeconds: Double? = nil

        /// Inputs as described on each property.
        public init(productionBytes: Double? = nil, restoreBytesPerSecond: Double? = nil, recoveryOverheadSeconds: Double = 0, drillDatabaseBytes: Double? = nil, backupSeconds: Double? = nil, backupIntervalSeconds: Double, copySeconds: Double? = nil, rtoTargetSeconds: Double, rpoTargetSeconds: Double) {
            self.productionBytes = productionBytes
            self.restoreBytesPerSecond = restoreBytesPerSecond
            self.recoveryOverheadSeconds = recoveryOverheadSeconds
            self.drillDatabaseBytes = drillDatabaseBytes
            self.backupSeconds = backupSeconds
            self.backupIntervalSeconds = backupIntervalSeconds
            self.copySeconds = copySeconds
            self.rtoTargetSeconds = rtoTargetSeconds
            self.rpoTargetSeconds = rpoTargetSeconds
        }
    }

    /// What the backup duration in the worst-case RPO is based on.
    public enum BackupBasis: String, Sendable, Equatable, Encodable {
        /// Continuous WAL archiving, proven by a point-in-time recovery to the latest point: no backup duration counts.
        case continuousArchiving = "continuous archiving"
        /// Scaled to `PRODUCTION_DB_SIZE` from the drill's backup throughput.
        case productionSize = "scaled to the production size"
        /// The drill's own backup duration (no production size, or no drill size to scale from).
        case drillSize = "measured at drill size"
        /// No successful backup was measured: counted as 0, so the figure is a lower bound.
        case unknown = "not measured (counted as 0)"
    }

    /// What the projection was computed from.
    public var inputs: Inputs
    /// Projected RTO at `PRODUCTION_DB_SIZE`; `nil` without a size or a measured throughput.
    public var projectedRTOSeconds: Double?
    /// True/false when ``projectedRTOSeconds`` is known.
    public var rtoMeetsTarget: Bool?
    /// The backup duration used in the worst-case RPO.
    public var backupSeconds: Double
    public var backupBasis: BackupBasis
    /// `BACKUP_INTERVAL` + ``backupSeconds`` + copy time.
    public var worstCaseRPOSeconds: Double
    /// True when the worst-case RPO is within the RPO target.
    public var rpoMeetsTarget: Bool
    /// Target − backup − copy: the longest interval that meets the RPO target (≤ 0: none does).
    public var longestIntervalMeetingTarget: Double
    /// False when even back-to-back backups cannot meet the RPO target.
    public var anyScheduleCanMeetTarget: Bool { longestIntervalMeetingTarget > 0 }
    /// True when no copy time was configured and 0 was used.
    public var copyTimeAssumed: Bool { inputs.copySeconds == nil }

    /// Computes the projection from `inputs`.
    public init(_ inputs: Inputs) {
        self.inputs = inputs
        if let size = inputs.productionBytes, let rate = inputs.restoreBytesPerSecond, rate > 0, size >= 0 {
            let rto = max(0, inputs.recoveryOverheadSeconds) + size / rate
            projectedRTOSeconds = rto
            rtoMeetsTarget = rto <= inputs.rtoTargetSeconds
        }
        if let backup = inputs.backupSeconds {
            if let size = inputs.productionBytes, let drill = inputs.drillDatabaseBytes, drill > 0 {
                backupSeconds = backup * size / drill
                backupBasis = .productionSize
            } else {
                backupSeconds = backup
                backupBasis = .drillSize
            }
        } else {
            backupSeconds = 0
            backupBasis = .unknown
        }
        let copy = inputs.copySeconds ?? 0
        worstCaseRPOSeconds = inputs.backupIntervalSeconds + backupSeconds + copy
        if let timeout = inputs.archiveTimeoutSeconds {
            backupBasis = .continuousArchiving
            worstCaseRPOSeconds = timeout + (inputs.archiveLagSeconds ?? 0)
        }
        rpoMeetsTarget = worstCaseRPOSeconds <= inputs.rpoTargetSeconds
        longestIntervalMeetingTarget = inputs.rpoTargetSeconds - backupSeconds - copy
    }

    /// The projected RTO in one sentence, or why there is none.
    public var rtoSentence: String {
        guard let rto = projectedRTOSeconds, let size = inputs.productionBytes, let rate = inputs.restoreBytesPerSecond else {
            if let rate = inputs.restoreBytesPerSecond {
                return "Projected RTO: not computed — set PRODUCTION_DB_SIZE to project the measured restore throughput of \(ComplianceFormat.rate(rate)) to production."
            }
            return "Projected RTO: not computed — no restore throughput was measured."
        }
        let verdict = rto <= inputs.rtoTargetSeconds
            ? "within the \(ComplianceFormat.duration(inputs.rtoTargetSeconds)) target, \(ComplianceFormat.margin(inputs.rtoTargetSeconds - rto))"
            : "over the \(ComplianceFormat.duration(inputs.rtoTargetSeconds)) target by \(ComplianceFormat.duration(rto - inputs.rtoTargetSeconds))"
        return "Projected RTO at \(ComplianceFormat.bytes(size)) (PRODUCTION_DB_SIZE): \(ComplianceFormat.duration(rto)) at the measured restore throughput of \(ComplianceFormat.rate(rate)) — \(verdict)."
    }

    /// The worst-case RPO and what the schedule can meet, in one or two sentences.
    public var rpoSentence: String {
        let target = ComplianceFormat.duration(inputs.rpoTargetSeconds)
        if let timeout = inputs.archiveTimeoutSeconds {
            let lag = inputs.archiveLagSeconds.map { "measured archive lag \(ComplianceFormat.duration($0))" } ?? "archive lag not measured, counted as 0"
            let verdict = rpoMeetsTarget
                ? "meets the \(target) target, \(ComplianceFormat.margin(inputs.rpoTargetSeconds - worstCaseRPOSeconds))"
                : "cannot meet the \(target) target; lower archive_timeout"
            return "Projected worst-case RPO with continuous archiving (proven by a point-in-time recovery to the latest point in this drill): \(ComplianceFormat.duration(worstCaseRPOSeconds)) (archive_timeout \(ComplianceFormat.duration(timeout)) + \(lag)) — \(verdict)."
        }
        var parts = "Projected worst-case RPO for BACKUP_INTERVAL \(ComplianceFormat.duration(inputs.backupIntervalSeconds)): \(ComplianceFormat.duration(worstCaseRPOSeconds)) (interval + backup \(ComplianceFormat.duration(backupSeconds)) \(backupBasis.rawValue) + copy \(ComplianceFormat.duration(inputs.copySeconds ?? 0))\(copyTimeAssumed ? ", not configured, counted as 0" : ""))"
        if rpoMeetsTarget {
            parts += " — the schedule meets the \(target) target, \(ComplianceFormat.margin(inputs.rpoTargetSeconds - worstCaseRPOSeconds))."
        } else if anyScheduleCanMeetTarget {
            parts += " — the schedule cannot meet the \(target) target; back up at least every \(ComplianceFormat.duration(longestIntervalMeetingTarget))."
        } else {
            parts += " — no backup interval can meet the \(target) target: the backup and copy alone take \(ComplianceFormat.duration(backupSeconds + (inputs.copySeconds ?? 0)))."
        }
        return parts
    }
}
