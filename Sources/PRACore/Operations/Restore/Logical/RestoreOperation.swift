import Foundation

/// `pra restore`: choose a backup, verify it (falling back to an older valid one), load it
/// into a staging database that is renamed to the target only once the load succeeded, then
/// check the result against the manifest and the health URLs.
public struct RestoreOperation {
    /// Which archive to restore.
    public enum Source: Sendable {
        /// The newest complete backup in `BACKUP_DIR` that verifies.
        case latest
        /// This file (a `pra` archive, or a stock `pg_dump | gzip` file without manifest).
        case file(String)
    }

    public var configuration: Configuration
    public var progress: ProgressReporter?
    public static let applicationName = "pra-restore"
    /// An archive to try: its path, its manifest's, and whether the manifest must be there.
    typealias Candidate = (archive: String, manifest: String, requireManifest: Bool)
    /// Where remote copies are fetched to (inside `BACKUP_DIR`), removed after the restore.
    /// The prefix of the private directory (`.pra-remote-fetch-XXXXXX`) remote copies are fetched into.
    public static let remoteFetchDirectory = ".pra-remote-fetch"

    public init(configuration: Configuration, progress: ProgressReporter? = nil) {
        self.configuration = configuration
        self.progress = progress
    }

    /// Runs the restore. Configuration mistakes and refusals throw; everything else is
    /// reported in the result (and in the report file), which says whether it succeeded.
    /// - Parameter replaceSource: allow replacing the source database itself (the one the
    ///   settings connect to, or the one the backup was taken from) while it exists.
    public func run(source: Source, targetDatabase: String? = nil, force: Bool = false, replaceSource: Bool = false) throws(OperationFailure) -> RestoreResult {
        let setup = try setUp(source: source, targetDatabase: targetDatabase, force: force, replaceSource: replaceSource)
        var run = RestoreRun(configuration: configuration, targetDatabase: setup.target)
        var candidates = RestoreCandidates(remote: setup.remote, prefix: configuration.backupPrefix(for: setup.sourceDatabase), backupDirectory: configuration.backupDirectory)
        defer { candidates.removeFetchDirectory() }
        // For the evidence log: the restored database's size, once it is in place.
        var restoredSize: Int64?
        do throws(RestoreStop) {
            run.begin(.chooseBackup)
            candidates.local = try chooseCandidates(setup)
            let admin = try openTarget(setup, protecting: candidates.sourceDatabases(besides: setup.sourceDatabase), run: &run)
            let staging = Staging(admin: admin, name: "\(setup.target)__pra_restoring")
            guard let chosen = try loadNewestValid(&candidates, into: staging, setup: setup, run: &run) else {
                return finish(&run, setup: setup, restoredSize: nil)
            }
            run.result.archive = chosen.archive
            run.result.archiveHasManifest = chosen.hasManifest
            run.result.backupFinishedAt = chosen.backupFinishedAt
            try putInPlace(staging, target: setup.target)
            restoredSize = (try? admin.scalar("SELECT pg_database_size($1)::text", [setup.target])).flatMap { $0 }.flatMap { Int64($0) }
            run.result.checks += HealthChecks(configuration: configuration, timeout: setup.healthTimeout).run()
        } catch {
            switch error {
            case .refused(let failure):
                throw failure
            case .failed(let stage, let message):
                // A connection broken mid-restore reads the same whichever connection it hit.
                run.fail(stage: stage, message: ConnectionLoss.normalized(message))
            }
        }
        return finish(&run, setup: setup, restoredSize: restoredSize)
    }

    /// Ends the restore: the report, and the evidence record of what was restored.
    private func finish(_ run: inout RestoreRun, setup: Setup, restoredSize: Int64?) -> RestoreResult {
        progress?.finish()
        return run.finish { result in
            EvidenceWriter(configuration: configuration).record(
                restore: result, method: .logical, database: setup.sourceDatabase, target: setup.target,
                backup: result.archive.map { ($0 as NSString).lastPathComponent }, recoveryPoint: result.failure == nil ? result.backupFinishedAt : nil, sizeBytes: restoredSize)
        }
    }

    /// The local archives to try, newest first: the file given, or with --latest this
    /// database's complete backups (the archive prefix and the manifest's database).
    private func chooseCandidates(_ setup: Setup) throws(RestoreStop) -> [Candidate] {
        switch setup.source {
        case .file(let path):
            return [(path, path + BackupArchiveName.manifestSuffix, false)]
        case .latest:
            let catalogue = BackupCatalogue(directory: configuration.backupDirectory).scoped(database: setup.sourceDatabase, prefix: configuration.backupPrefix(for: setup.sourceDatabase))
            let candidates = catalogue.complete.map { ($0.archivePath, $0.manifestPath, true) }
            if candidates.isEmpty && setup.remote == nil {
                throw RestoreStop.failed(stage: .chooseBackup, message: ArchiveError.noCompleteBackup(directory: configuration.backupDirectory).description + " for database \(setup.sourceDatabase)")
            }
            return candidates
        }
    }

    /// Connects to the maintenance database and takes the target's advisory lock, puts back a
    /// target an interrupted restore left aside, and refuses to replace one of `sources` (the
    /// databases this restore must not overwrite by accident) or, without --force, any existing target.
    private func openTarget(_ setup: Setup, protecting sources: Set<String>, run: inout RestoreRun) throws(RestoreStop) -> PostgresConnection {
        let target = setup.target
        do {
            let admin = try PostgresConnection(setup.settings, database: configuration[.restoreMaintenanceDB] ?? "", applicationName: Self.applicationName)
            // One restore per target at a time: a session-level advisory lock, held until this
            // connection closes (also when the process is killed).
            if try admin.scalar("SELECT pg_try_advisory_lock($1::int, hashtext($2))::text", [String(Self.advisoryLockClass), target]) != "true" {
                let holder = try? admin.scalar("SELECT a.pid::text || ' (' || coalesce(a.application_name, '') || ', since ' || to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS') || ')' FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.classid = $1::int::oid AND l.objid = hashtext($2)::oid AND l.granted LIMIT 1", [String(Self.advisoryLockClass), target])
                throw OperationFailure(stage: "lock", message: "another restore into \(target) is running (session \((holder ?? nil) ?? "unknown")); refusing to start a second one")
            }
            // A restore killed between its two renames left the old target aside: put it back first.
            if try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [target]) == nil,
                try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [target + "__pra_old"]) != nil
            {
                try admin.execute("ALTER DATABASE \(PostgresConnection.quoteIdentifier(target + "__pra_old")) RENAME TO \(PostgresConnection.quoteIdentifier(target))")
                run.result.skippedBackups.append("\(target) was found renamed aside by an interrupted restore (\(target)__pra_old) and renamed back")
            }
            let exists = try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [target]) != nil
            if exists && sources.contains(target) && !setup.replaceSource {
                throw OperationFailure(stage: "target", message: "refusing to restore into \(target): it is the source database (\(target == setup.sourceDatabase ? "the database PGDATABASE/DATABASE_URL reach" : "the database the backup was taken from") and it exists; choose another with --target-db or RESTORE_DB, or replace it on purpose with --replace-source", isUsageError: true)
            }
            if exists && !setup.replace {
                throw OperationFailure(stage: "create", message: "database \(target) already exists; restore refuses to replace it without --force", isUsageError: true)
            }
            return admin
        } catch let failure as OperationFailure {
            throw RestoreStop.refused(failure)
        } catch {
            throw RestoreStop.failed(stage: .create, message: OperationFailure(stage: "create", error).message)
        }
    }

    /// Puts the loaded staging database in place of the target (``swapIntoPlace(admin:staging:target:)``).
    private func putInPlace(_ staging: Staging, target: String) throws(RestoreStop) {
        do {
            try Self.swapIntoPlace(admin: staging.admin, staging: staging.name, target: target)
        } catch {
            staging.drop()
            throw RestoreStop.failed(stage: .load, message: OperationFailure(stage: "load", error).message)
        }
    }

    /// Tables, row counts against the manifest and critical tables of a load, in `database`.
    func contentChecks(of verdict: VerificationResult, in database: String, settings: ConnectionSettings) -> [RestoreResult.Check] {
        let manifest = verdict.hasManifest ? try? BackupManifest.load(path: verdict.archive + BackupArchiveName.manifestSuffix) : nil
        do {
            let restored = try PostgresConnection(settings, database: database, applicationName: Self.applicationName)
            return try RestoreChecks(connection: restored, manifest: manifest, criticalTables: configuration.list(.criticalTables)).run()
        } catch {
            return [.init(.tables, passed: false, message: "cannot inspect the restored database: \(OperationFailure(stage: "check", error).message)")]
        }
    }

    /// classid of the advisory lock a restore holds on its target (`hashtext(target)` is the objid).
    static let advisoryLockClass: Int32 = 0x7072_61  // "pra"

    /// The database `settings` reach, as the server names it; `nil` when it cannot be reached.
    static func connectedDatabase(_ settings: ConnectionSettings) -> String? {
        guard let connection = try? PostgresConnection(settings, applicationName: applicationName) else { return nil }
        return connection.databaseName
    }
}
