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
    /// The prefix of the private directory (`.pra-remote-fetch-XXXXXX`) remote copies are fetched into.
    public static let remoteFetchDirectory = ".pra-remote-fetch"

    static func makeFetchDirectory(in backupDirectory: String) throws -> String {
        var template = Array(((backupDirectory as NSString).appendingPathComponent(remoteFetchDirectory + "-XXXXXX")).utf8CString)
        guard let created = mkdtemp(&template) else { throw FileError(operation: .mkdir, path: backupDirectory + "/" + remoteFetchDirectory + "-XXXXXX", code: errno) }
        return String(cString: created)
    }

    public init(configuration: Configuration, progress: ProgressReporter? = nil) {
        self.configuration = configuration
        self.progress = progress
    }

    /// Runs the restore. Configuration mistakes and refusals throw; everything else is
    /// reported in the result (and in the report file), which says whether it succeeded.
    /// - Parameter replaceSource: allow replacing the source database itself (the one the
    ///   settings connect to, or the one the backup was taken from) while it exists.
    public func run(source: Source, targetDatabase: String? = nil, force: Bool = false, replaceSource: Bool = false) throws(OperationFailure) -> RestoreResult {
        let settings: ConnectionSettings
        let healthTimeout: Double
        let jobs: Int
        do {
            settings = try configuration.connectionSettings()
            healthTimeout = try configuration.seconds("HEALTH_TIMEOUT")
            jobs = try configuration.jobs()
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
        // A new private directory for fetched copies (mkdtemp: 0700, this account's): BACKUP_DIR is
        // writable by the server's account, which must not be able to plant a fixed name there.
        var fetchDirectory: String?
        defer { if let fetchDirectory { try? FileManager.default.removeItem(atPath: fetchDirectory) } }
        // The source database: the one the settings actually reach (libpq's defaults included),
        // else (it is gone: in-place recovery) the name the settings give.
        let sourceDatabase = Self.connectedDatabase(settings) ?? settings.databaseName ?? "postgres"
        let replace = force || replaceSource
        let target = targetDatabase ?? configuration["RESTORE_DB"] ?? "\(sourceDatabase)_restore"
        guard target.utf8.count <= 50 else {
            throw OperationFailure(stage: "target", message: "target database name \(target) is longer than 50 bytes", isUsageError: true)
        }
        if case .file(let path) = source, let problem = ArchiveVerifier.notARegularFile(path) {
            throw OperationFailure(stage: "choose backup", message: problem, isUsageError: true)
        }

        let clock = MonotonicClock.now()
        var result = RestoreResult(targetDatabase: target, startedAt: Date())
        // For the evidence log: the restored database's size, once it is in place.
        var restoredSize: Int64?
        var phases = PhaseTimer()
        func finish() -> RestoreResult {
            progress?.finish()
            phases.end()
            result.phases = phases.phases
            result.seconds = clock.elapsed()
            do {
                result.reportFile = try RestoreReport(result: result).write(to: configuration.reportDirectory)
            } catch {
                result.reportError = "cannot write the restore report in REPORT_DIR=\(configuration.reportDirectory): \(error)"
            }
            let evidence = EvidenceWriter(configuration: configuration).record(
                restore: result, method: .logical, database: sourceDatabase, target: target,
                backup: result.archive.map { ($0 as NSString).lastPathComponent }, recoveryPoint: result.failure == nil ? result.backupFinishedAt : nil, sizeBytes: restoredSize)
            (result.evidenceFile, result.evidenceError) = (evidence.file, evidence.error)
            return result
        }
        func fail(_ stage: String, _ message: String) -> RestoreResult {
            result.failedStage = stage
            // A connection broken mid-restore reads the same whichever connection it hit.
            result.failure = ConnectionLoss.normalized(message)
            return finish()
        }

        // Choose: candidates newest first.
        phases.begin("choose backup")
        var candidates: [(archive: String, manifest: String, requireManifest: Bool)] = []
        switch source {
        case .file(let path):
            candidates = [(path, path + BackupArchiveName.manifestSuffix, false)]
        case .latest:
            // Only this database's backups: the archive prefix and the manifest's database.
            let catalogue = BackupCatalogue(directory: configuration.backupDirectory).scoped(database: sourceDatabase, prefix: configuration.backupPrefix(for: sourceDatabase))
            candidates = catalogue.complete.map { ($0.archivePath, $0.manifestPath, true) }
            if candidates.isEmpty && remote == nil {
                return fail("choose backup", ArchiveError.noCompleteBackup(directory: configuration.backupDirectory).description + " for database \(sourceDatabase)")
            }
        }
        // The databases this restore must not overwrite by accident: the source, and the
        // database each candidate backup was taken from.
        var sources: Set<String> = [sourceDatabase]
        for candidate in candidates {
            if let manifest = try? BackupManifest.load(path: candidate.manifest) { sources.insert(manifest.database) }
        }

        let admin: PostgresConnection
        do {
            admin = try PostgresConnection(settings, database: configuration["RESTORE_MAINTENANCE_DB"] ?? "postgres", applicationName: Self.applicationName)
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
                result.skippedBackups.append("\(target) was found renamed aside by an interrupted restore (\(target)__pra_old) and renamed back")
            }
            let exists = try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [target]) != nil
            if exists && sources.contains(target) && !replaceSource {
                throw OperationFailure(stage: "target", message: "refusing to restore into \(target): it is the source database (\(target == sourceDatabase ? "the database PGDATABASE/DATABASE_URL reach" : "the database the backup was taken from") and it exists; choose another with --target-db or RESTORE_DB, or replace it on purpose with --replace-source", isUsageError: true)
            }
            if exists && !replace {
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
        // The last load whose content failed the checks (row counts, tables), with them.
        var refused: (verdict: VerificationResult, checks: [RestoreResult.Check], note: String)?
        var index = 0
        var pendingRemote: [BackupArchiveName] = []
        while loaded == nil {
            if index == candidates.count, let copies = remote {
                // No local backup is left to try: fetch the remote copies, newest first, one at a time.
                if !listedRemote {
                    listedRemote = true
                    do {
                        // Only this database's copies (the manifest's database is checked once fetched).
                        let prefix = configuration.backupPrefix(for: sourceDatabase)
                        pendingRemote = try copies.completeBackups().filter { $0.prefix == prefix }
                        if pendingRemote.isEmpty { result.skippedBackups.append("no complete backup on \(copies.store.description)") }
                    } catch {
                        result.skippedBackups.append("remote copies: \(error)")
                    }
                }
                if !pendingRemote.isEmpty {
                    let name = pendingRemote.removeFirst()
                    phases.begin("fetch remote copy")
                    do {
                        if fetchDirectory == nil { fetchDirectory = try Self.makeFetchDirectory(in: configuration.backupDirectory) }
                        let archive = try copies.fetch(name, into: fetchDirectory!)
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
            if candidate.requireManifest, let manifest = try? BackupManifest.load(path: candidate.manifest), manifest.database != sourceDatabase {
                result.skippedBackups.append("\(name) is a backup of database \(manifest.database), not \(sourceDatabase)")
                continue
            }
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
            switch load(candidate, into: staging.name, settings: settings, jobs: jobs, method: &result.loadMethod) {
            case .loaded(let verdict):
                VerificationRecord.save(verdict)
                // The content is checked in the staging database, before it replaces anything:
                // a load that differs from its manifest never becomes the target, and --latest
                // falls back to the previous backup as for one that fails verification.
                progress?.announce("checks: tables, row counts against the manifest, critical tables")
                phases.begin("check")
                let checks = contentChecks(of: verdict, in: staging.name, settings: settings)
                if checks.allSatisfy(\.passed) {
                    loaded = verdict
                    result.checks = checks
                } else {
                    staging.drop()
                    let note = "\(name) loaded but failed its checks (" + checks.filter { !$0.passed }.map { "\($0.name): \($0.message)" }.joined(separator: "; ") + ")"
                    refused = (verdict, checks, note)
                    result.skippedBackups.append(note)
                }
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
        if loaded == nil, let refused {
            // Nothing better to fall back to: report the checks that refused the last load.
            // The target was never touched; nothing of the load is left.
            result.archive = refused.verdict.archive
            result.archiveHasManifest = refused.verdict.hasManifest
            result.backupFinishedAt = refused.verdict.backupFinishedAt
            result.checks = refused.checks
            // Its checks say it in full; the others skipped stay listed.
            result.skippedBackups.removeAll { $0 == refused.note }
            return finish()
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

        do {
            try Self.swapIntoPlace(admin: admin, staging: staging.name, target: target)
        } catch {
            staging.drop()
            return fail("load", OperationFailure(stage: "load", error).message)
        }
        restoredSize = (try? admin.scalar("SELECT pg_database_size($1)::text", [target])).flatMap { $0 }.flatMap { Int64($0) }

        // The application's view of the restored target.
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

    /// Tables, row counts against the manifest and critical tables of a load, in `database`.
    private func contentChecks(of verdict: VerificationResult, in database: String, settings: ConnectionSettings) -> [RestoreResult.Check] {
        let manifest = verdict.hasManifest ? try? BackupManifest.load(path: verdict.archive + BackupArchiveName.manifestSuffix) : nil
        do {
            let restored = try PostgresConnection(settings, database: database, applicationName: Self.applicationName)
            return try RestoreChecks(connection: restored, manifest: manifest, criticalTables: configuration.list("CRITICAL_TABLES")).run()
        } catch {
            return [.init(name: "tables", passed: false, message: "cannot inspect the restored database: \(OperationFailure(stage: "check", error).message)")]
        }
    }

    /// classid of the advisory lock a restore holds on its target (`hashtext(target)` is the objid).
    static let advisoryLockClass: Int32 = 0x7072_61  // "pra"

    /// The database `settings` reach, as the server names it; `nil` when it cannot be reached.
    static func connectedDatabase(_ settings: ConnectionSettings) -> String? {
        guard let connection = try? PostgresConnection(settings, applicationName: applicationName) else { return nil }
        return connection.databaseName
    }

    /// Puts the loaded staging database in place of `target`: the old target (if any) is
    /// renamed aside, the staging database renamed to the target, and only then the old one
    /// dropped. If the second rename fails, the old target is renamed back: a failure never
    /// leaves the target missing.
    static func swapIntoPlace(admin: PostgresConnection, staging: String, target: String) throws(PostgresError) {
        let quotedTarget = PostgresConnection.quoteIdentifier(target)
        let aside = "\(target)__pra_old"
        let quotedAside = PostgresConnection.quoteIdentifier(aside)
        let exists = try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [target]) != nil
        if exists {
            try admin.execute("DROP DATABASE IF EXISTS \(quotedAside) WITH (FORCE)")
            // Sessions on the old target end (it is being replaced, with --force); retry while they reconnect.
            var attempt = 0
            while true {
                _ = try admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [target])
                do {
                    try admin.execute("ALTER DATABASE \(quotedTarget) RENAME TO \(quotedAside)")
                    break
                } catch {
                    attempt += 1
                    if attempt >= 10 || error.sqlState != "55006" { throw error }
                    usleep(100_000)
                }
            }
        }
        do {
            try admin.execute("ALTER DATABASE \(PostgresConnection.quoteIdentifier(staging)) RENAME TO \(quotedTarget)")
        } catch {
            if exists { _ = try? admin.execute("ALTER DATABASE \(quotedAside) RENAME TO \(quotedTarget)") }
            throw error
        }
        if exists { try admin.execute("DROP DATABASE IF EXISTS \(quotedAside) WITH (FORCE)") }
    }

    enum LoadOutcome {
        case loaded(VerificationResult)
        case invalid(VerificationResult)
        case loadFailed(String)
    }

    private struct InvalidArchive: Error {}

    /// Loads the archive into `database` while verifying it: over `jobs` connections when the
    /// dump can be split (``ParallelDumpLoader``), else streamed into one
    /// `psql --single-transaction`. `method` says which, and why.
    private func load(_ candidate: (archive: String, manifest: String, requireManifest: Bool), into database: String, settings: ConnectionSettings, jobs: Int, method: inout String?) -> LoadOutcome {
        let psql: PsqlProgram
        do {
            psql = try PsqlProgram(configuration: configuration, settings: settings.with(database: database), applicationName: Self.applicationName)
        } catch let error as ConfigurationError {
            return .loadFailed(error.description)
        } catch {
            return .loadFailed("\(error)")
        }
        let reason = jobs < 2 ? "PRA_JOBS=\(jobs)" : Self.unsplittableReason(candidate.archive, manifest: candidate.manifest)
        if let reason {
            method = "one connection (\(reason))"
            return loadOneConnection(candidate, psql: psql, database: database, settings: settings)
        }
        method = "\(jobs) connections in parallel (schema, then tables, then indexes and constraints)"
        return loadParallel(candidate, psql: psql, jobs: jobs, settings: settings, database: database)
    }

    /// Why the archive is not loaded in parallel: not a pg_dump plain dump, or not enough room
    /// for the spill files. `nil` when it can be.
    static func unsplittableReason(_ archive: String, manifest: String) -> String? {
        var head: [UInt8] = []
        do {
            guard let handle = FileHandle(forReadingAtPath: archive) else { return "cannot open the archive" }
            defer { try? handle.close() }
            let inflater = try GzipInflater()
            let compressed = try handle.read(upToCount: 64 * 1024) ?? Data()
            try compressed.withUnsafeBytes { bytes in
                try inflater.decompress(bytes) { piece in
                    if head.count < 256 { head.append(contentsOf: piece.prefix(256 - head.count)) }
                }
            }
        } catch {
            return "its first bytes do not inflate (\(error))"
        }
        if let reason = ParallelDumpLoader.unsplittableReason(head: head) { return reason }
        let size = ((try? FileManager.default.attributesOfItem(atPath: archive)[.size]) as? NSNumber)?.uint64Value ?? 0
        // Table data is spilled uncompressed: it needs about the dump's size free in TMPDIR.
        let needed = (try? BackupManifest.load(path: manifest))?.uncompressedBytes ?? size * 10
        var info = statvfs()
        let directory = Self.spillParent
        if statvfs(directory, &info) == 0 {
            let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
            if free < needed + needed / 10 {
                return "\(directory) has \(free / 1_048_576) MiB free, the table data needs about \(needed / 1_048_576) MiB of spill files"
            }
        }
        return nil
    }

    /// Removes the spill directories of restores whose process is gone (killed with SIGKILL:
    /// no cleanup ran).
    static func removeOrphanedSpills() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spillParent)) ?? []
        for name in names where name.hasPrefix("pra-restore-") {
            let parts = name.split(separator: "-")
            guard parts.count == 4, let pid = pid_t(parts[2]), pid != getpid() else { continue }
            // Only a directory this account made (mkdtemp, 0700): in a shared TMPDIR another
            // account could plant one by that name to have pra delete through it.
            var info = stat()
            let path = (spillParent as NSString).appendingPathComponent(name)
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: (spillParent as NSString).appendingPathComponent(name))
            }
        }
    }

    static var spillParent: String { ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp" }

    /// Verifies and loads over several connections (see ``ParallelDumpLoader``).
    private func loadParallel(_ candidate: (archive: String, manifest: String, requireManifest: Bool), psql: PsqlProgram, jobs: Int, settings: ConnectionSettings, database: String) -> LoadOutcome {
        Self.removeOrphanedSpills()
        // The pid in the name: a restore killed outright leaves its spill, the next one removes it.
        var template = Array(((Self.spillParent as NSString).appendingPathComponent("pra-restore-\(getpid())-XXXXXX")).utf8CString)
        guard let created = mkdtemp(&template) else {
            return .loadFailed("cannot create a spill directory in \(Self.spillParent): \(String(cString: strerror(errno)))")
        }
        let spill = String(cString: created)
        let cleanup = InterruptCleanup.shared.register { try? FileManager.default.removeItem(atPath: spill) }
        defer {
            try? FileManager.default.removeItem(atPath: spill)
            InterruptCleanup.shared.unregister(cleanup)
        }
        let connect: @Sendable () throws -> PostgresConnection = {
            let connection = try PostgresConnection(settings, database: database, applicationName: Self.applicationName)
            try connection.execute("SET client_min_messages = warning")
            return connection
        }
        let loader = ParallelDumpLoader(psql: psql, dbnameArgument: "--dbname=" + BackupOperation.connectionString(database: database) + settings.childNetworkKeywords, jobs: jobs, spillDirectory: spill, connect: connect)
        let verdict: VerificationResult
        do {
            verdict = try ArchiveVerifier(phase: "restore").verify(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest, progress: progress, forPsql: true) { chunk in
                try loader.consume(chunk)
            }
        } catch {
            loader.abort()
            return .loadFailed("\(error)")
        }
        // Not valid: stop every psql; the staging database is thrown away.
        guard verdict.valid else {
            loader.abort()
            return .invalid(verdict)
        }
        progress?.announce("restore: archive read and verified; loading the last tables, then indexes and constraints")
        do {
            try loader.finish()
        } catch {
            loader.abort()
            return .loadFailed("\(error)")
        }
        return .loaded(verdict)
    }

    /// Streams the archive into `psql --single-transaction` while verifying it.
    private func loadOneConnection(_ candidate: (archive: String, manifest: String, requireManifest: Bool), psql: PsqlProgram, database: String, settings: ConnectionSettings) -> LoadOutcome {
        // The database as a quoted connection string, with the keywords that notice a dead link.
        let process = psql.process(arguments: PsqlProgram.scriptArguments + ["--single-transaction", "--dbname=" + BackupOperation.connectionString(database: database) + settings.childNetworkKeywords])
        var verdict: VerificationResult?
        let progress = self.progress
        do {
            let outcome = try process.run { stdin in
                try psql.writePreamble(to: stdin)
                let result = try ArchiveVerifier(phase: "restore").verify(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest, progress: progress, forPsql: true) { chunk in
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
