import Foundation

extension PointInTimeRestoreOperation {
    /// What a recovery works with, read from the configuration and the request before anything
    /// starts: a mistake in them is a refusal, never a recorded failure.
    struct Setup {
        let recoveryTimeout: Double
        let healthTimeout: Double
        let settings: ConnectionSettings
        let remote: RemoteCopyOperation?
        let backupDirectory: String
        /// The data directory recovered into, absolute.
        let directory: String
        let database: String
        let binDirectory: String
        let verifyTool: String
        /// The OS user that extracts the backup and runs the recovered server (as root).
        let user: OSUser?
        let target: RecoveryTargetDirectory
        /// A data directory is in the target and is moved aside (--force).
        let replacing: Bool
    }

    /// Reads the settings, finds the PostgreSQL programs and refuses a target (time, directory)
    /// that cannot be used.
    func setUp(_ request: Request, now: Date) throws(OperationFailure) -> Setup {
        let recoveryTimeout: Double
        let healthTimeout: Double
        let settings: ConnectionSettings
        let remote: RemoteCopyOperation?
        do {
            remote = try RemoteCopyOperation(configuration: configuration)
            recoveryTimeout = try configuration.seconds(.recoveryTimeout)
            healthTimeout = try configuration.seconds(.healthTimeout)
            settings = try configuration.connectionSettings()
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        if request.fromRemote && remote == nil {
            throw OperationFailure(stage: "configuration", message: "--from-remote needs REMOTE_TARGET: the off-site copy to restore from", isUsageError: true)
        }
        if case .time(let date) = request.target, date > now.addingTimeInterval(1) {
            throw OperationFailure(stage: "target", message: "target time \(RecoveryTarget.format(date)) is in the future (now \(RecoveryTarget.format(now))); recovery can only reach moments already archived", isUsageError: true)
        }
        let backupDirectory = configuration.backupDirectory
        let directory = Self.absolute(request.targetDirectory)
        let binaries = PostgresBinaries(configuration: configuration)
        let pgCtl: String
        let verifyTool: String
        do {
            pgCtl = try binaries.locate("pg_ctl")
            verifyTool = try binaries.locate("pg_verifybackup")
        } catch {
            throw OperationFailure(stage: "prepare", error)
        }
        let user: OSUser?
        do {
            user = try OSUser.unprivileged(configured: request.runAs ?? configuration[.runAsUser])
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        let target = RecoveryTargetDirectory(path: directory, user: user)
        let protected = [(Setting.backupDir.name, backupDirectory), (Setting.reportDir.name, configuration.reportDirectory)] + (configuration[.logDir].map { [(Setting.logDir.name, $0)] } ?? [])
        let replacing = try target.inspect(force: request.force, protected: protected.map { (name: $0.0, path: Self.absolute($0.1)) })
        if let user, let blocker = Self.firstUnreachableAncestor(of: directory, for: user) {
            throw OperationFailure(stage: "target", message: "the server will run as \(user.name), who cannot reach \(directory): \(blocker) is not searchable by that user; choose a directory under a path \(user.name) can traverse (or chmod o+x \(blocker))", isUsageError: true)
        }
        return Setup(recoveryTimeout: recoveryTimeout, healthTimeout: healthTimeout, settings: settings, remote: remote, backupDirectory: backupDirectory,
                     directory: directory, database: settings.databaseName ?? "postgres", binDirectory: (pgCtl as NSString).deletingLastPathComponent,
                     verifyTool: verifyTool, user: user, target: target, replacing: replacing)
    }
}
