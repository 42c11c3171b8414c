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
    /// Where remote copies are fetched to (inside `BACKUP_DIR`), removed after the restore.
    public static let remoteFetchDirectory = ".pra-remote-fetch"

    public init(configuration: Configuration, progress: ProgressReporter? = nil) {
        self.configuration = configuration
        self.progress = progress
    }

    /// Runs the restore. Configuration mistakes and refusals throw; everything else is
    /// reported in the result (and in the report file), which says whether it succeeded.
    public func run(source: Source, targetDatabase: String? = nil, force: Bool = false) throws(OperationFailure) -> RestoreResult {
        let settings: ConnectionSettings
        let healthTimeout: Double
        do {
            settings = try configuration.connectionSettings()
            healthTimeout = try configuration.seconds("HEALTH_TIMEOUT")
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        // With --latest, the remote copies are the fallback when no local backup is valid.
        let remote: RemoteCopyOperation?
        var listedRemote = false
        do {
            if case .latest = source { remote = try RemoteCopyOperation(configuration: configuration) } else { remote = nil }
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        let fetchDirectory = (configuration.backupDirectory as NSString).appendingPathComponent(Self.remoteFetchDirectory)
        defer { if remote != nil { try? FileManager.default.removeItem(atPath: fetchDirectory) } }
        let sourceDatabase = settings.databaseName ?? "postgres"
        let target = targetDatabase ?? configuration["RESTORE_DB"] ?? "\(sourceDatabase)_restore"
        guard target != sourceDatabase else {
            throw OperationFailure(stage: "target", message: "refusing to restore into \(target): it is the configured source database (PGDATABASE/DATABASE_URL); choose another with --target-db or RESTORE_DB", isUsageError: true)
        }
        guard target.utf8.count <= 50 else {
            throw OperationFailure(stage: "target", message: "target database name \(target) is longer than 50 bytes", isUsageError: true)
        }

        let clock = MonotonicClock.now()
        var result = RestoreResult(targetDatabase: target, startedAt: Date())
        var phases = PhaseTimer()
        func finish() -> RestoreResult {
            progress?.finish()
            phases.end()
            result.phases = phases.phases
            result.seconds = clock.elapsed()
            result.reportFile = try? RestoreReport(result: result).write(to: configuration.reportDirectory)
            return result
        }
        func fail(_ stage: String, _ message: String) -> RestoreResult {
            result.failedStage = stage
            result.failure = message
            return finish()
        }

        // Choose: candidates newest first.
        phases.begin("choose backup")
        var candidates: [(archive: String, manifest: String, requireManifest: Bool)] = []
        switch source {
        case .file(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw OperationFailure(stage: "choose backup", message: "\(path) does not exist", isUsageError: true)
            }
            candidates = [(path, path + BackupArchiveName.manifestSuffix, false)]
        case .latest:
            let catalogue = BackupCatalogue(directory: configuration.backupDirectory)
            candidates = catalogue.complete.map { ($0.archivePath, $0.manifestPath, true) }
            if candidates.isEmpty && remote == nil {
                return fail("choose backup", ArchiveError.noCompleteBackup(directory: configuration.backupDirectory).description)
            }
        }

        let admin: PostgresConnection
        do {
            admin = try PostgresConnection(settings, database: configuration["RESTORE_MAINTENANCE_DB"] ?? "postgres", applicationName: Self.applicationName)
            if try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [target]) != nil && !force {
                throw OperationFailure(stage: "create", message: "database \(target) already exists; restore refuses to replace it without --force", isUsageError: true)
            }
        } catch let failure as OperationFailure {
            throw failure
        } catch {
            return fail("create", OperationFailure(stage: "create", error).message)
        }
        let staging = Staging(admin: admin, name: "\(target)__pra_restoring")

        // Verify and load, newest first, falling back past archives that fail verification.
        // The cheap checks (manifest, size) run first; the checksum, gzip stream and dump
        // trailer are verified in the same pass that loads, and a load that does not verify
        // is thrown away with its staging database.
        var loaded: VerificationResult?
        var index = 0
        var pendingRemote: [BackupArchiveName] = []
        while loaded == nil {
            if index == candidates.count, let copies = remote {
                // No local backup is left to try: fetch the remote copies, newest first, one at a time.
                if !listedRemote {
                    listedRemote = true
                    do {
                        pendingRemote = try copies.completeBackups()
                        if pendingRemote.isEmpty { result.skippedBackups.append("no complete backup on \(copies.store.description)") }
                    } catch {
                        result.skippedBackups.append("remote copies: \(error)")
                    }
                }
                if !pendingRemote.isEmpty {
                    let name = pendingRemote.removeFirst()
                    phases.begin("fetch remote copy")
                    do {
                        let archive = try copies.fetch(name, into: fetchDirectory)
                        candidates.append((archive, archive + BackupArchiveName.manifestSuffix, true))
                        result.fetchedFromRemote.append("\(name.fileName) from \(copies.store.description)")
                    } catch {
                        result.skippedBackups.append("remote \(name.fileName) could not be fetched: \(error)")
                        continue
                    }
                }
            }
            guard index < candidates.count else { break }
            let candidate = candidates[index]
            index += 1
            let name = (candidate.archive as NSString).lastPathComponent
            if index > 1 { progress?.announce("fallback: trying the previous backup, \(name)") }
            phases.begin("verify")
            let problems = ArchiveVerifier().precheck(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest)
            if !problems.isEmpty {
                var verdict = VerificationResult(archive: candidate.archive)
                verdict.problems = problems
                VerificationRecord.save(verdict)
                result.skippedBackups.append("\(name) failed verification (\(problems.map(\.message).joined(separator: "; ")))")
                continue
            }
            phases.begin("create")
            do {
                try staging.recreate()
            } catch {
                return fail("create", OperationFailure(stage: "create", error).message)
            }
            phases.begin("load")
            switch load(candidate, into: staging.name, settings: settings) {
            case .loaded(let verdict):
                VerificationRecord.save(verdict)
                loaded = verdict
            case .invalid(let verdict):
                VerificationRecord.save(verdict)
                result.skippedBackups.append("\(name) failed verification (\(verdict.problems.map(\.message).joined(separator: "; ")))")
            case .loadFailed(let message):
                // A damaged archive can also make psql fail first: read it whole to tell which.
                phases.begin("verify")
                let verdict = ArchiveVerifier().verify(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest, progress: progress)
                VerificationRecord.save(verdict)
                if verdict.valid {
                    staging.drop()
                    return fail("load", message)
                }
                result.skippedBackups.append("\(name) failed verification (\(verdict.problems.map(\.message).joined(separator: "; ")))")
            }
            if loaded != nil { break }
        }
        guard let chosen = loaded else {
            staging.drop()
            if case .file(let path) = source {
                return fail("verify", "\((path as NSString).lastPathComponent) is not a valid archive: \(result.skippedBackups.joined(separator: "; "))")
            }
            return fail("verify", ArchiveError.noValidBackup(directory: configuration.backupDirectory, tried: result.skippedBackups).description)
        }
        result.archive = chosen.archive
        result.archiveHasManifest = chosen.hasManifest
        result.backupFinishedAt = chosen.backupFinishedAt
        let manifest = chosen.hasManifest ? try? BackupManifest.load(path: chosen.archive + BackupArchiveName.manifestSuffix) : nil

        do {
            if force {
                try admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(target)) WITH (FORCE)")
            }
            try admin.execute("ALTER DATABASE \(PostgresConnection.quoteIdentifier(staging.name)) RENAME TO \(PostgresConnection.quoteIdentifier(target))")
        } catch {
            staging.drop()
            return fail("load", OperationFailure(stage: "load", error).message)
        }

        // Check.
        progress?.announce("checks: tables, row counts against the manifest, critical tables, health URLs")
        phases.begin("check")
        do {
            let restored = try PostgresConnection(settings, database: target, applicationName: Self.applicationName)
            result.checks = try RestoreChecks(connection: restored, manifest: manifest, criticalTables: configuration.list("CRITICAL_TABLES")).run()
        } catch {
            result.checks.append(.init(name: "tables", passed: false, message: "cannot inspect \(target): \(OperationFailure(stage: "check", error).message)"))
        }
        let probe = HealthProbe(timeout: healthTimeout)
        if let url = configuration["APP_HEALTH_URL"] {
            let outcome = probe.check(url)
            result.checks.append(.init(name: "health", passed: outcome.healthy, message: outcome.summary))
        }
        for url in configuration.list("API_ENDPOINTS") {
            let outcome = probe.check(url)
            result.checks.append(.init(name: "endpoint", passed: outcome.healthy, message: outcome.summary))
        }
        return finish()
    }

    enum LoadOutcome {
        case loaded(VerificationResult)
        case invalid(VerificationResult)
        case loadFailed(String)
    }

    private struct InvalidArchive: Error {}

    /// Streams the archive into `psql --single-transaction` on `database` while verifying it.
    private func load(_ candidate: (archive: String, manifest: String, requireManifest: Bool), into database: String, settings: ConnectionSettings) -> LoadOutcome {
        let psql: String
        do {
            psql = try PostgresBinaries(configuration: configuration).locate("psql")
        } catch {
            return .loadFailed(error.description)
        }
        var environment = settings.with(database: database).childEnvironment(applicationName: Self.applicationName)
        environment["PGOPTIONS"] = "-c client_min_messages=warning"
        let process = ExternalProcess(
            executable: psql,
            arguments: ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-o", "/dev/null", "-f", "-"],
            environment: environment)
        var verdict: VerificationResult?
        let progress = self.progress
        do {
            let outcome = try process.run { stdin in
                let result = try ArchiveVerifier(phase: "restore").verify(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest, progress: progress) { chunk in
                    try stdin.write(chunk)
                }
                verdict = result
                // Not valid: stop psql before it sees the end of input and commits.
                if !result.valid { throw InvalidArchive() }
                progress?.announce("restore: archive read and verified; psql is committing the load")
            }
            try process.check(outcome)
        } catch let failure as ConsumerFailure {
            if failure.underlying is InvalidArchive, let verdict { return .invalid(verdict) }
            return .loadFailed(ProcessError(kind: .failed, program: "psql", stderr: failure.standardError).stderrSummary ?? "\(failure.underlying)")
        } catch {
            return .loadFailed("\(error)")
        }
        guard let verdict else { return .loadFailed("psql ended before the archive was read") }
        return .loaded(verdict)
    }
}

/// The staging database a restore loads into before renaming it to the target.
private struct Staging {
    let admin: PostgresConnection
    let name: String

    func recreate() throws(PostgresError) {
        try admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(name)) WITH (FORCE)")
        try admin.execute("CREATE DATABASE \(PostgresConnection.quoteIdentifier(name)) TEMPLATE template0")
    }

    func drop() {
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(name)) WITH (FORCE)")
    }
}

/// Accumulates time per named phase, in the order phases first start.
struct PhaseTimer {
    private(set) var phases: [RestoreResult.Phase] = []
    private var current: (name: String, started: MonotonicClock)?

    mutating func begin(_ name: String) {
        end()
        current = (name, MonotonicClock.now())
    }

    mutating func end() {
        guard let current else { return }
        let seconds = current.started.elapsed()
        if let index = phases.firstIndex(where: { $0.name == current.name }) {
            phases[index].seconds += seconds
        } else {
            phases.append(.init(name: current.name, seconds: seconds))
        }
        self.current = nil
    }
}
