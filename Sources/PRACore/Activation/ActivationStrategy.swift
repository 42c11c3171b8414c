import Foundation

/// How `pra activate` obtains the recovered server: a logical restore into the live database
/// name, or a point-in-time restore of the whole cluster into a data directory. Each is a
/// thin use of the restore operations `pra restore` runs; the activation around it is the same.
public struct ActivationStrategy: Sendable {
    /// Which restore.
    public enum Kind: String, Codable, Sendable {
        /// The newest dump (local, else off-site) into `RESTORE_DB` (`pra restore --latest`).
        case logical
        /// A base backup and the WAL archive, to the latest point or a time (`pra restore --pitr`).
        case pointInTime = "point-in-time"
    }

    public var kind: Kind
    /// Logical: the database restored into. Point in time: the new data directory.
    public var target: String
    /// Point in time: where to stop (default: everything archived).
    public var recoveryTarget: RecoveryTarget = .latest
    /// Point in time: the recovered server's port (default: a free one).
    public var port: Int?
    /// Point in time, as root: the account the recovered server runs as.
    public var runAs: String?

    public init(kind: Kind, target: String, recoveryTarget: RecoveryTarget = .latest, port: Int? = nil, runAs: String? = nil) {
        self.kind = kind
        self.target = target
        self.recoveryTarget = recoveryTarget
        self.port = port
        self.runAs = runAs
    }

    /// The same strategy aimed at a scratch target for a rehearsal: another database name, or
    /// a new directory beside the live one. The live target is never touched.
    public func rehearsal(stamp: String) -> ActivationStrategy {
        var scratch = self
        switch kind {
        case .logical: scratch.target = "\(target)_pra_rehearsal_\(stamp)"
        case .pointInTime: scratch.target = "\(target).pra-rehearsal-\(stamp)"
        }
        // A rehearsal server never takes the live port.
        scratch.port = nil
        return scratch
    }

    /// What a restore produced.
    public struct Outcome: Sendable {
        public var result: RestoreResult
        /// Where the recovered database answers.
        public var server: ActivationServer
        /// The moment the recovered data reflects.
        public var recoveredTo: Date?
    }

    /// Runs the restore. The health URLs are left out of the restore's own checks: before the
    /// switch they still reach the lost server's stand-in; verification probes them after it.
    func restore(configuration: Configuration, dryRun: Bool, progress: ProgressReporter?) throws(OperationFailure) -> Outcome {
        var quiet = configuration
        quiet.set("APP_HEALTH_URL", nil)
        quiet.set("API_ENDPOINTS", nil)
        switch kind {
        case .logical:
            // The live name is replaced when it exists on the recovery server (what the
            // confirmation was for), never the source database while it exists.
            let result = try RestoreOperation(configuration: quiet, progress: progress).run(source: .latest, targetDatabase: target, force: true, replaceSource: false)
            return Outcome(result: result, server: ActivationServer(host: nil, port: nil, database: target), recoveredTo: result.backupFinishedAt)
        case .pointInTime:
            // A rehearsal server stays up for verification; the activation stops it and removes its directory afterwards.
            let request = PointInTimeRestoreOperation.Request(targetDirectory: target, target: recoveryTarget, port: port, force: false, stopAfterChecks: false, keepArchiving: !dryRun, runAs: runAs)
            let result = try PointInTimeRestoreOperation(configuration: quiet, progress: progress).run(request)
            let details = result.pointInTime
            return Outcome(result: result, server: ActivationServer(host: details?.socketDirectory, port: details?.port, database: result.targetDatabase), recoveredTo: details?.reachedTime)
        }
    }
}
