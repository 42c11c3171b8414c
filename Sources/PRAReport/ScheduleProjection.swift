import Foundation
import PRACore

/// What the measured throughput and the configured schedule imply for production. These are
/// **projections**, never measurements, and the reports always label them so.
///
/// Arithmetic (every figure in seconds or bytes):
///
/// - Projected RTO = recovery overhead + the restore duration at the production size, where the
///   overhead is the part of the measured RTO outside the restore (detection, provisioning a
///   server), which does not grow with the size, and the restore duration comes from
///   ``RestoreTimeModel``: fixed cost + size ÷ throughput fitted over every measured restore
///   (drills, the calibration scenario, real restore tests), with its projection interval.
///   When the fit is under-determined (restores at one size only), the projection falls back to
///   size ÷ the drill's own throughput — an upper bound, since it scales the fixed cost too —
///   and says so (``RTOBasis/throughputOnly``).
/// - Backup duration at production = the same fit over measured backups; without it, drill
///   backup duration × `PRODUCTION_DB_SIZE` ÷ drill database size; without a production size or
///   a drill size, the drill's own backup duration, labelled as such.
/// - The production size is `PRODUCTION_DB_SIZE`, else the size the evidence's newest status
///   sample gives (``ComplianceSettings/productionSizeFromEvidence``), else the drill's record.
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
        /// Where ``productionBytes`` comes from, as the report names it.
        public var productionSizeSource: String = Setting.productionDBSize.name
        /// Restore duration fitted over every measured restore; `nil` or not fitted: the
        /// throughput-only upper bound.
        public var restoreModel: RestoreTimeModel? = nil
        /// Backup duration fitted over every measured backup; `nil` or not fitted: scaled by
        /// the drill's backup throughput.
        public var backupModel: RestoreTimeModel? = nil

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

    /// What the projected RTO is based on.
    public enum RTOBasis: String, Sendable, Equatable, Encodable {
        /// Fixed cost + size ÷ throughput, fitted over restores at different sizes.
        case fitted = "fitted"
        /// Size ÷ the drill's own throughput: the fit is under-determined (restores at one size
        /// only) or not growing, so the fixed cost is scaled with the size — an upper bound.
        case throughputOnly = "throughput only (upper bound)"
    }

    /// What the backup duration in the worst-case RPO is based on.
    public enum BackupBasis: String, Sendable, Equatable, Encodable {
        /// Continuous WAL archiving, proven by a point-in-time recovery to the latest point: no backup duration counts.
        case continuousArchiving = "continuous archiving"
        /// Fixed cost + size ÷ throughput fitted over measured backups at different sizes.
        case fittedProductionSize = "fitted to the production size"
        /// Scaled to `PRODUCTION_DB_SIZE` from the drill's backup throughput.
        case productionSize = "scaled to the production size"
        /// The same, when a backup-time fit was attempted and is not possible (backups at one
        /// size, or durations that do not grow with it): it scales the fixed cost too.
        case productionSizeUpperBound = "scaled to the production size from the drill's backup throughput, an upper bound (the backup-time fit is not possible)"
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
    /// What ``projectedRTOSeconds`` rests on; `nil` when there is none.
    public var rtoBasis: RTOBasis?
    /// The approximate 95 % projection interval of the RTO (overhead + the fit's interval);
    /// `nil` without a fit or without residual spread to estimate it from.
    public var projectedRTOLowSeconds: Double?
    public var projectedRTOHighSeconds: Double?
    /// The restore duration alone at the production size (the projected RTO without the
    /// overhead outside the restore).
    public var projectedRestoreSeconds: Double?
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
        let overhead = max(0, inputs.recoveryOverheadSeconds)
        // Only a scenario that recovered by a restore has an RTO to project (the fit gives the
        // restore; the scenario gives the time outside it).
        if let size = inputs.productionBytes, size >= 0, inputs.restoreBytesPerSecond != nil, let prediction = inputs.restoreModel?.predict(size) {
            projectedRestoreSeconds = prediction.seconds
            projectedRTOSeconds = overhead + prediction.seconds
            projectedRTOLowSeconds = prediction.lowSeconds.map { overhead + $0 }
            projectedRTOHighSeconds = prediction.highSeconds.map { overhead + $0 }
            rtoBasis = .fitted
        } else if let size = inputs.productionBytes, let rate = inputs.restoreBytesPerSecond, rate > 0, size >= 0 {
            projectedRestoreSeconds = size / rate
            projectedRTOSeconds = overhead + size / rate
            rtoBasis = .throughputOnly
        }
        if let rto = projectedRTOSeconds { rtoMeetsTarget = rto <= inputs.rtoTargetSeconds }
        if let size = inputs.productionBytes, size >= 0, inputs.backupSeconds != nil, let fitted = inputs.backupModel?.predict(size) {
            backupSeconds = fitted.seconds
            backupBasis = .fittedProductionSize
        } else if let backup = inputs.backupSeconds {
            if let size = inputs.productionBytes, let drill = inputs.drillDatabaseBytes, drill > 0 {
                backupSeconds = backup * size / drill
                backupBasis = inputs.backupModel == nil ? .productionSize : .productionSizeUpperBound
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

    /// The projected RTO in one sentence, or why there is none: the figure, its interval, what
    /// the fit rests on (or that it is under-determined and the figure an upper bound), and the
    /// verdict against the target.
    public var rtoSentence: String {
        guard let rto = projectedRTOSeconds, let size = inputs.productionBytes else {
            if let rate = inputs.restoreBytesPerSecond {
                return "Projected RTO: not computed — set PRODUCTION_DB_SIZE to project the measured restore throughput of \(ComplianceFormat.rate(rate)) to production."
            }
            return "Projected RTO: not computed — no restore throughput was measured."
        }
        let verdict = rto <= inputs.rtoTargetSeconds
            ? "within the \(ComplianceFormat.duration(inputs.rtoTargetSeconds)) target, \(ComplianceFormat.margin(inputs.rtoTargetSeconds - rto))"
            : "over the \(ComplianceFormat.duration(inputs.rtoTargetSeconds)) target by \(ComplianceFormat.duration(rto - inputs.rtoTargetSeconds))"
        let head = "Projected RTO at \(ComplianceFormat.bytes(size)) (\(inputs.productionSizeSource)): \(ComplianceFormat.duration(rto))"
        return head + " " + rtoBasisText + " — \(verdict)."
    }

    /// The range and basis of the projected RTO, in words, after the figure.
    public var rtoBasisText: String {
        let overhead = max(0, inputs.recoveryOverheadSeconds)
        let outside = overhead > 0 ? " + \(ComplianceFormat.duration(overhead)) outside the restore" : ""
        switch rtoBasis {
        case .fitted?:
            let range = projectedRTOLowSeconds.flatMap { low in projectedRTOHighSeconds.map { high in "(likely \(ComplianceFormat.duration(low)) to \(ComplianceFormat.duration(high))) " } } ?? "(no spread between the measurements to estimate a range from) "
            return range + "— restore \(ComplianceFormat.duration(projectedRestoreSeconds ?? 0)) \(inputs.restoreModel?.basisSentence ?? "fitted")\(outside)"
        case .throughputOnly?:
            let why = inputs.restoreModel?.basisSentence ?? "no fit"
            return "as an upper bound — size ÷ the drill's restore throughput of \(ComplianceFormat.rate(inputs.restoreBytesPerSecond ?? 0))\(outside), which scales the fixed cost too, because the fit is not possible: \(why)"
        case nil:
            return ""
        }
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
