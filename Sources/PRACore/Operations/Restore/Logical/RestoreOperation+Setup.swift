import Foundation

extension RestoreOperation {
    /// What a restore works with, read from the configuration and the request before anything
    /// starts: a mistake in them is a refusal, never a recorded failure.
    struct Setup {
        let source: Source
        let settings: ConnectionSettings
        let healthTimeout: Double
        let jobs: Int
        /// The most bytes of spill files a parallel load keeps on disk (`RESTORE_SPILL_LIMIT`).
        let spillLimit: Int
        /// With --latest, the remote copies: the fallback when no local backup is valid.
        let remote: RemoteCopyOperation?
        /// The database the settings reach, else (it is gone: in-place recovery) the name they give.
        let sourceDatabase: String
        let target: String
        /// Replace an existing target (--force or --replace-source).
        let replace: Bool
        /// Replace the source database itself while it exists.
        let replaceSource: Bool
    }

    /// Reads the settings, names the source and target databases and refuses a target name
    /// or an archive that cannot be used.
    func setUp(source: Source, targetDatabase: String?, force: Bool, replaceSource: Bool) throws(OperationFailure) -> Setup {
        let settings: ConnectionSettings
        let healthTimeout: Double
        let jobs: Int
        let spillLimit: Int
        let remote: RemoteCopyOperation?
        do {
            settings = try configuration.connectionSettings()
            healthTimeout = try configuration.seconds(.healthTimeout)
            jobs = try configuration.jobs()
            spillLimit = Int(clamping: try configuration.bytes(.restoreSpillLimit) ?? 0)
            if case .latest = source { remote = try RemoteCopyOperation(configuration: configuration) } else { remote = nil }
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        // The source database: the one the settings actually reach (libpq's defaults included),
        // else (it is gone: in-place recovery) the name the settings give.
        let sourceDatabase = Self.connectedDatabase(settings) ?? settings.databaseName ?? "postgres"
        let target = targetDatabase ?? configuration[.restoreDB] ?? "\(sourceDatabase)_restore"
        guard target.utf8.count <= 50 else {
            throw OperationFailure(stage: "target", message: "target database name \(target) is longer than 50 bytes", isUsageError: true)
        }
        if case .file(let path) = source, let problem = ArchiveVerifier.notARegularFile(path) {
            throw OperationFailure(stage: "choose backup", message: problem, isUsageError: true)
        }
        return Setup(source: source, settings: settings, healthTimeout: healthTimeout, jobs: jobs, spillLimit: spillLimit, remote: remote, sourceDatabase: sourceDatabase,
                     target: target, replace: force || replaceSource, replaceSource: replaceSource)
    }
}
