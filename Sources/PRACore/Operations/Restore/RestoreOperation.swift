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
        var phaseClock = MonotonicClock.now()
        func endPhase(_ name: String) {
            result.phases.append(.init(name: name, seconds: phaseClock.elapsed()))
            phaseClock = MonotonicClock.now()
        }
        func finish() -> RestoreResult {
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
        var candidates: [(archive: String, manifest: String?, requireManifest: Bool)] = []
        switch source {
        case .file(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw OperationFailure(stage: "choose backup", message: "\(path) does not exist", isUsageError: true)
            }
            candidates = [(path, path + BackupArchiveName.manifestSuffix, false)]
        case .latest:
            let catalogue = BackupCatalogue(directory: configuration.backupDirectory)
            candidates = catalogue.complete.map { ($0.archivePath, $0.manifestPath, true) }
            if candidates.isEmpty {
                return fail("choose backup", ArchiveError.noCompleteBackup(directory: configuration.backupDirectory).description)
            }
        }
        endPhase("choose backup")

        // Verify, falling back to older backups.
        var chosen: VerificationResult?
        for candidate in candidates {
            let verdict = ArchiveVerifier().verify(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest, progress: progress)
            VerificationRecord.save(verdict)
            if verdict.valid {
                chosen = verdict
                break
            }
            result.skippedBackups.append("\((candidate.archive as NSString).lastPathComponent) failed verification (\(verdict.problems.map(\.message).joined(separator: "; ")))")
        }
        endPhase("verify")
        guard let chosen else {
            if case .file(let path) = source {
                return fail("verify", "\((path as NSString).lastPathComponent) is not a valid archive: \(result.skippedBackups.joined(separator: "; "))")
            }
            return fail("verify", ArchiveError.noValidBackup(directory: configuration.backupDirectory, tried: result.skippedBackups).description)
        }
        result.archive = chosen.archive
        result.archiveHasManifest = chosen.hasManifest
        result.backupFinishedAt = chosen.backupFinishedAt
        let manifest = chosen.hasManifest ? try? BackupManifest.load(path: chosen.archive + BackupArchiveName.manifestSuffix) : nil

        // Create the staging database.
        let staging = "\(target)__pra_restoring"
        let admin: PostgresConnection
        do {
            admin = try PostgresConnection(settings, database: configuration["RESTORE_MAINTENANCE_DB"] ?? "postgres", applicationName: Self.applicationName)
            let exists = try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [target]) != nil
            if exists && !force {
                throw OperationFailure(stage: "create", message: "database \(target) already exists; restore refuses to replace it without --force", isUsageError: true)
            }
            try admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(staging)) WITH (FORCE)")
            try admin.execute("CREATE DATABASE \(PostgresConnection.quoteIdentifier(staging)) TEMPLATE template0")
        } catch let failure as OperationFailure {
            throw failure
        } catch {
            return fail("create", OperationFailure(stage: "create", error).message)
        }
        endPhase("create")

        // Load in one transaction; on failure drop the staging database.
        do {
            try load(archive: chosen.archive, into: staging, settings: settings, total: chosen.uncompressedBytes)
        } catch {
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(staging)) WITH (FORCE)")
            return fail("load", OperationFailure(stage: "load", error).message)
        }
        do {
            if force {
                try admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(target)) WITH (FORCE)")
            }
            try admin.execute("ALTER DATABASE \(PostgresConnection.quoteIdentifier(staging)) RENAME TO \(PostgresConnection.quoteIdentifier(target))")
        } catch {
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(staging)) WITH (FORCE)")
            return fail("load", OperationFailure(stage: "load", error).message)
        }
        endPhase("load")

        // Check.
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
        endPhase("check")
        return finish()
    }

    /// Streams the inflated archive into `psql --single-transaction` on `database`.
    private func load(archive: String, into database: String, settings: ConnectionSettings, total: UInt64?) throws {
        let psql = try PostgresBinaries(configuration: configuration).locate("psql")
        var environment = settings.with(database: database).childEnvironment(applicationName: Self.applicationName)
        environment["PGOPTIONS"] = "-c client_min_messages=warning"
        let process = ExternalProcess(
            executable: psql,
            arguments: ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-o", "/dev/null", "-f", "-"],
            environment: environment)
        guard let handle = FileHandle(forReadingAtPath: archive) else {
            throw FileError(operation: .open, path: archive, code: errno)
        }
        defer { try? handle.close() }
        let progress = self.progress
        let outcome = try process.run { stdin in
            let inflater = try GzipInflater()
            while true {
                let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
                if chunk.isEmpty { break }
                try chunk.withUnsafeBytes { buffer in
                    try inflater.decompress(buffer) { try stdin.write($0) }
                }
                progress?.update(phase: "load", bytes: inflater.uncompressedBytes, total: total)
            }
            try inflater.finish()
        }
        progress?.finish()
        try process.check(outcome)
    }
}
