import Foundation

/// How `pra activate` obtains the recovered server: a logical restore into the live database
/// name, a point-in-time restore of the whole cluster into a data directory, or the promotion
/// of a warm standby. Each is a thin use of the operations `pra restore` and `pra standby`
/// run; the activation around it is the same.
public struct ActivationStrategy: Sendable {
    /// Which restore.
    public enum Kind: String, Codable, Sendable {
        /// The newest dump (local, else off-site) into `RESTORE_DB` (`pra restore --latest`).
        case logical
        /// A base backup and the WAL archive, to the latest point or a time (`pra restore --pitr`).
        case pointInTime = "point-in-time"
        /// Promote the warm standby in a data directory (`pra standby create`).
        case standby
    }

    public var kind: Kind
    /// Logical: the database restored into. Point in time: the new data directory. Standby: its data directory.
    public var target: String
    /// Point in time: where to stop (default: everything archived).
    public var recoveryTarget: RecoveryTarget = .latest
    /// Point in time: the recovered server's port (default: a free one).
    public var port: Int?
    /// Point in time, as root: the account the recovered server runs as.
    public var runAs: String?
    /// Standby: promote one that stopped at a gap in the archive anyway (`--accept-data-loss`),
    /// losing the commits after the gap; every other reason not to promote still refuses.
    public var acceptDataLoss: Bool

    public init(kind: Kind, target: String, recoveryTarget: RecoveryTarget = .latest, port: Int? = nil, runAs: String? = nil, acceptDataLoss: Bool = false) {
        self.kind = kind
        self.target = target
        self.recoveryTarget = recoveryTarget
        self.port = port
        self.runAs = runAs
        self.acceptDataLoss = acceptDataLoss
    }

    /// The same strategy aimed at a scratch target for a rehearsal: another database name, or
    /// a new directory beside the live one. The live target is never touched.
    public func rehearsal(stamp: String) -> ActivationStrategy {
        var scratch = self
        switch kind {
        case .logical: scratch.target = "\(target)_pra_rehearsal_\(stamp)"
        case .pointInTime: scratch.target = "\(target).pra-rehearsal-\(stamp)"
        // A standby is inspected, never promoted, in a rehearsal: it stays the standby.
        case .standby: return self
        }
        // A rehearsal server never takes the live port.
        scratch.port = nil
        return scratch
    }

    /// What a restore (or promotion) produced.
    public struct Outcome: Sendable {
        /// Restored (promoted) and its own checks passed.
        public var succeeded: Bool
        public var summary: String
        public var reportFile: String?
        /// The dump restored (logical).
        public var archive: String?
        /// Where the recovered database answers.
        public var server: ActivationServer
        /// The moment the recovered data reflects.
        public var recoveredTo: Date?
    }

    /// Runs the restore. The health URLs are left out of the restore's own checks: before the
    /// switch they still reach the lost server's stand-in; verification probes them after it.
    func restore(configuration: Configuration, dryRun: Bool, progress: ProgressReporter?) throws(OperationFailure) -> Outcome {
        var quiet = configuration
        quiet.set(.appHealthURL, nil)
        quiet.set(.apiEndpoints, nil)
        switch kind {
        case .logical:
            // The live name is replaced when it exists on the recovery server (what the
            // confirmation was for), never the source database while it exists.
            let result = try RestoreOperation(configuration: quiet, progress: progress).run(source: .latest, targetDatabase: target, force: true, replaceSource: false)
            return Outcome(succeeded: result.succeeded, summary: result.summary, reportFile: result.reportFile, archive: result.archive,
                           server: ActivationServer(host: nil, port: nil, database: target), recoveredTo: result.backupFinishedAt)
        case .pointInTime:
            // A rehearsal server stays up for verification; the activation stops it and removes its directory afterwards.
            let request = PointInTimeRestoreOperation.Request(targetDirectory: target, target: recoveryTarget, port: port, force: false, stopAfterChecks: false, keepArchiving: !dryRun, runAs: runAs)
            let result = try PointInTimeRestoreOperation(configuration: quiet, progress: progress).run(request)
            let details = result.pointInTime
            return Outcome(succeeded: result.succeeded, summary: result.summary, reportFile: result.reportFile, archive: nil,
                           server: ActivationServer(host: details?.socketDirectory, port: details?.port, database: result.targetDatabase), recoveredTo: details?.reachedTime)
        case .standby:
            return try promote(configuration: configuration, dryRun: dryRun)
        }
    }

    /// Promotes the standby (a rehearsal only inspects it). A standby an interrupted
    /// activation already promoted is taken as it is: never promoted twice.
    private func promote(configuration: Configuration, dryRun: Bool) throws(OperationFailure) -> Outcome {
        let promotion = StandbyPromotion(configuration: configuration, dataDirectory: target)
        let record = try promotion.record()
        let state = try promotion.inspect()
        let server = ActivationServer(host: record.socketDirectory, port: record.port, database: record.database)
        let promotable = state.promotable || (acceptDataLoss && StandbyPromotion.onlyStoppedAtGap(state, record: record))
        if dryRun {
            return Outcome(succeeded: promotable, summary: "rehearsal: standby \(target) not promoted; \(state.headline)", server: server, recoveredTo: state.lastReplayedCommitAt)
        }
        if state.promotedAt != nil || state.inRecovery == false {
            return Outcome(succeeded: state.running && state.inRecovery == false, summary: "standby \(target) was already promoted (an interrupted activation): not promoted again; \(state.headline)", server: server, recoveredTo: state.lastReplayedCommitAt)
        }
        let result = try promotion.promote(acceptingDataLoss: acceptDataLoss)
        var point = result.recoveryPointAt.map { ", data as of \(RecoverableWindow.format($0))" } ?? ""
        if let gap = result.before.archiveGap {
            point += "; promoted at the gap (--accept-data-loss): WAL segment \(gap) is missing, \(result.segmentsNotReplayed.map(String.init) ?? "?") archived segment(s) not replayed are lost"
        }
        return Outcome(succeeded: true, summary: "promoted standby \(target) (port \(result.port)) in \(DurationParser.format(result.secondsToWritable))\(point)",
                       server: ActivationServer(host: result.host, port: result.port, database: result.database), recoveredTo: result.recoveryPointAt)
    }
}
