import Foundation
import PRADrillResults

/// The RPO the plan delivers for one class of disaster (``DisasterClass``), and the drill of the
/// latest run that proved it.
///
/// An RPO of seconds (continuous archiving: `archive_timeout` + archive lag) is claimed for a
/// class only when a passed scenario of the latest run recovered from a disaster **of that
/// class** by a point-in-time recovery to the latest point and measured its data loss. Otherwise
/// the class gets the backup schedule's worst case (`BACKUP_INTERVAL` + backup + copy: the newest
/// dump copy that survives it), and the row says that seconds are not proven by any drill, what
/// would prove them, and which setting would give them. A cluster-loss drill never proves the
/// site-loss row: after a site loss the local WAL archive is gone with the site.
public struct DisasterClassRPO: Sendable, Equatable, Encodable {
    /// How far the row is proven.
    public enum Status: String, Sendable, Equatable, Encodable {
        /// A point-in-time recovery to the latest point after this class of disaster passed:
        /// continuous archiving's RPO is proven for it.
        case provenByPointInTimeRecovery = "proven by a point-in-time recovery to the latest point"
        /// Only a restore of a backup after this class of disaster passed: the schedule's worst
        /// case is what the plan delivers; seconds are not proven by any drill.
        case provenByBackupRestore = "proven by a backup restore; seconds not proven by any drill"
        /// No scenario of the latest run recovered from this class of disaster.
        case notProven = "not proven by any drill"
    }

    /// Where the worst case comes from.
    public enum Basis: String, Sendable, Equatable, Encodable {
        /// `archive_timeout` + archive lag (or the measured data loss, when larger).
        case continuousArchiving = "continuous archiving"
        /// `BACKUP_INTERVAL` + backup duration + copy time.
        case backupSchedule = "backup schedule"
    }

    /// A recovery step of the latest run that recovered from this class of disaster.
    public struct Proof: Sendable, Equatable, Encodable {
        public var scenario: String
        /// The recovery step (1-based) and how it recovered.
        public var step: Int
        public var method: RecoveryMethod
        /// The data loss it measured (disaster time − newest recovered heartbeat).
        public var measuredRPOSeconds: Double
    }

    public var disasterClass: DisasterClass
    public var status: Status
    public var basis: Basis
    /// The point-in-time recovery to the latest point that proved continuous archiving's RPO.
    public var pointInTimeProof: Proof?
    /// A restore of a backup after this class of disaster (the largest data loss among them).
    public var backupRestoreProof: Proof?
    /// The worst case the plan delivers for this class; `nil` when the latest run recorded no
    /// figure to compute it from.
    public var worstCaseRPOSeconds: Double?
    /// What the worst case is made of, in words.
    public var worstCaseDetail: String?
    /// The RPO target it is judged against.
    public var targetSeconds: Double
    /// True/false when ``worstCaseRPOSeconds`` is known.
    public var meetsTarget: Bool?
    /// What would prove seconds for this class, or lower its worst case; `nil` when nothing is missing.
    public var advice: String?
    /// The row in one or two sentences, advice included.
    public var sentence: String

    /// True when the row is proven by a point-in-time recovery and within its target.
    public var isSatisfied: Bool { status == .provenByPointInTimeRecovery && meetsTarget == true }

    /// Why this row puts the plan AT RISK, or `nil`: the class is not proven by any drill, or its
    /// worst case misses the target.
    public var atRiskReason: String? {
        if status == .notProven || meetsTarget == false { return sentence }
        return nil
    }

    /// The verdict cell, in words and a symbol: `✓ within target`, `✓ within target (seconds not
    /// proven by any drill)`, `✗ over target`, `⚠ not proven by any drill` (with `; ✗ schedule
    /// over target` when its schedule misses the target too).
    public var verdictText: String {
        if status == .notProven { return "⚠ not proven by any drill" + (meetsTarget == false ? "; ✗ schedule over target" : "") }
        if meetsTarget == false { return "✗ over target" }
        switch status {
        case .notProven: return "⚠ not proven by any drill"
        case .provenByBackupRestore: return meetsTarget == true ? "✓ within target (seconds not proven by any drill)" : "– schedule not measured (seconds not proven by any drill)"
        case .provenByPointInTimeRecovery: return "✓ within target"
        }
    }

    /// The drill that proved the row, in words: `pitr-lose-cluster-latest (point-in-time
    /// recovery to the latest point, 0.60s of writes lost)`, or `not proven by any drill`.
    public var provenByText: String {
        if let proof = pointInTimeProof {
            return "\(proof.scenario) (point-in-time recovery to the latest point, \(ComplianceFormat.duration(proof.measuredRPOSeconds)) of writes lost)"
        }
        if let proof = backupRestoreProof {
            return "\(proof.scenario) (backup restore, \(ComplianceFormat.duration(proof.measuredRPOSeconds)) of writes lost); seconds not proven by any drill"
        }
        return "not proven by any drill"
    }

    /// The worst case with what it is made of: `1.1s (archive_timeout 1.0s + archive lag 0.05s)`, or `–`.
    public var worstCaseText: String {
        guard let worst = worstCaseRPOSeconds else { return "–" }
        return ComplianceFormat.duration(worst) + (worstCaseDetail.map { " (\($0))" } ?? "")
    }

    /// The rows, one per class, for the latest run's `scenarios` (as recorded) and their report
    /// rows (with projections); `schedule` is the backup schedule's projection without
    /// continuous archiving (``ComplianceReport/scheduleProjection``).
    static func rows(latest: [ScenarioResult], compliance: [ScenarioCompliance], schedule: ComplianceReport.NamedProjection?, rpoTarget: Double?) -> [DisasterClassRPO] {
        let projections = Dictionary(compliance.map { ($0.name, $0.projection) }, uniquingKeysWith: { first, _ in first })
        let target = rpoTarget ?? schedule?.projection.inputs.rpoTargetSeconds ?? latest.first?.measurement.rpoTargetSeconds ?? 3600
        return DisasterClass.allCases.map { disasterClass in
            var pointInTime: (proof: Proof, worst: Double, detail: String)?
            var backup: Proof?
            for scenario in latest where scenario.verdict == .passed {
                for step in scenario.steps where step.disasterClass == disasterClass && step.exitCode == 0 {
                    guard let method = step.recoveryMethod, let rpo = step.rpoSeconds else { continue }
                    let proof = Proof(scenario: scenario.name, step: step.index, method: method, measuredRPOSeconds: rpo)
                    switch method {
                    case .pointInTimeLatest:
                        let candidate = Self.continuousWorstCase(proof, projection: projections[scenario.name] ?? nil)
                        if pointInTime == nil || candidate.worst > pointInTime!.worst { pointInTime = (proof, candidate.worst, candidate.detail) }
                    case .backup:
                        if backup == nil || rpo > backup!.measuredRPOSeconds { backup = proof }
                    case .pointInTimeMoment:
                        continue
                    }
                }
            }
            return DisasterClassRPO(disasterClass, pointInTime: pointInTime, backup: backup, schedule: schedule?.projection, target: target)
        }
    }

    /// archive_timeout + archive lag from the scenario's projection, or the measured data loss when larger.
    private static func continuousWorstCase(_ proof: Proof, projection: ScheduleProjection?) -> (worst: Double, detail: String) {
        guard let projection, let timeout = projection.inputs.archiveTimeoutSeconds else {
            return (proof.measuredRPOSeconds, "the data loss measured by \(proof.scenario); archive_timeout not recorded")
        }
        let lag = projection.inputs.archiveLagSeconds
        let archived = timeout + (lag ?? 0)
        let parts = "archive_timeout \(ComplianceFormat.duration(timeout)) + archive lag \(lag.map { ComplianceFormat.duration($0) } ?? "not measured (0)")"
        if proof.measuredRPOSeconds > archived {
            return (proof.measuredRPOSeconds, "the data loss measured by \(proof.scenario), more than \(parts)")
        }
        return (archived, parts)
    }

    private init(_ disasterClass: DisasterClass, pointInTime: (proof: Proof, worst: Double, detail: String)?, backup: Proof?, schedule: ScheduleProjection?, target: Double) {
        self.disasterClass = disasterClass
        targetSeconds = target
        pointInTimeProof = pointInTime?.proof
        backupRestoreProof = backup
        let head = "\(disasterClass.title.prefix(1).uppercased())\(disasterClass.title.dropFirst()) (\(disasterClass.survivors))"
        let disaster = disasterClass == .siteLost ? "a site loss (lose-site)" : "a cluster loss (lose-cluster, wipe-data-directory, drop-database, bad-transaction)"
        let targetText = ComplianceFormat.duration(target)

        if let pointInTime {
            status = .provenByPointInTimeRecovery
            basis = .continuousArchiving
            worstCaseRPOSeconds = pointInTime.worst
            worstCaseDetail = pointInTime.detail
            let meets = pointInTime.worst <= target
            meetsTarget = meets
            advice = meets ? nil : "lower archive_timeout\(disasterClass == .siteLost ? " and the off-site lag (WAL_REMOTE_MODE)" : "")"
            let verdict = meets ? "meets the \(targetText) target, \(ComplianceFormat.margin(target - pointInTime.worst))" : "over the \(targetText) target; \(advice!)"
            sentence = "\(head): worst-case RPO \(ComplianceFormat.duration(pointInTime.worst)) (\(pointInTime.detail)) — proven by \(pointInTime.proof.scenario), a point-in-time recovery to the latest point after \(disaster) that lost \(ComplianceFormat.duration(pointInTime.proof.measuredRPOSeconds)) of writes — \(verdict)."
            return
        }

        basis = .backupSchedule
        status = backup == nil ? .notProven : .provenByBackupRestore
        let copy = disasterClass == .siteLost ? "the newest off-site dump copy" : "the newest backup"
        var delivers: String
        if let schedule {
            worstCaseRPOSeconds = schedule.worstCaseRPOSeconds
            let detail = "BACKUP_INTERVAL \(ComplianceFormat.duration(schedule.inputs.backupIntervalSeconds)) + backup \(ComplianceFormat.duration(schedule.backupSeconds)) \(schedule.backupBasis.rawValue) + copy \(ComplianceFormat.duration(schedule.inputs.copySeconds ?? 0))\(schedule.copyTimeAssumed ? " (not configured, counted as 0)" : "")"
            worstCaseDetail = detail
            let meets = schedule.worstCaseRPOSeconds <= target
            meetsTarget = meets
            delivers = "up to \(ComplianceFormat.duration(schedule.worstCaseRPOSeconds)) of writes (\(detail)), the schedule's worst case, projection — \(meets ? "within the \(targetText) target" : "over the \(targetText) target")"
        } else {
            worstCaseRPOSeconds = nil
            worstCaseDetail = nil
            meetsTarget = nil
            delivers = "up to the backup interval plus a backup's duration (no backup was measured in the latest run to project it)"
        }
        let seconds = disasterClass == .siteLost
            ? "an RPO of seconds after losing the site needs base backups and WAL copied off-site (REMOTE_TARGET with WAL_REMOTE_MODE) and a lose-site point-in-time scenario recovering to the latest point to prove it (the catalogue's pitr-lose-site-latest)"
            : "an RPO of seconds needs continuous archiving (archive_command = pra wal push, base backups) and a point-in-time scenario recovering to the latest point after a cluster loss to prove it (the catalogue's pitr-lose-cluster-latest)"
        if let backup {
            advice = seconds
            sentence = "\(head): an RPO of seconds is not proven by any drill (no point-in-time recovery to the latest point after \(disaster)). The plan delivers \(copy): \(delivers); restoring it after \(disaster) is proven by \(backup.scenario) (\(ComplianceFormat.duration(backup.measuredRPOSeconds)) of writes lost in the drill). For seconds: \(seconds)."
        } else {
            let prove = disasterClass == .siteLost
                ? "a lose-site scenario that recovers from the off-site copy alone (the catalogue's s3-lose-site for the dump copy, pitr-lose-site-latest for point-in-time recovery)"
                : "a scenario that recovers after a cluster loss (the catalogue's lose-cluster, or pitr-lose-cluster-latest for point-in-time recovery)"
            advice = "prove it with \(prove); \(seconds)"
            sentence = "\(head): RPO not proven by any drill — no passed scenario of the latest run recovered after \(disaster). The plan then delivers at best \(copy): \(delivers). To prove it: \(prove). For seconds: \(seconds)."
        }
    }
}
