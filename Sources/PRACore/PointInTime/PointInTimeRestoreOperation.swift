import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pra restore --pitr`: restores the newest base backup that finished before the target into
/// a new data directory (verifying it while extracting, falling back to an older one that
/// verifies), runs `pg_verifybackup`, sets `restore_command` to `pra wal get` and the target,
/// starts a server on it, waits for recovery to reach the target and promote, then checks the
/// result. The server is left running (it is the recovered database) unless asked to stop.
public struct PointInTimeRestoreOperation {
    public struct Request: Sendable {
        public var targetDirectory: String
        public var target: RecoveryTarget
        /// Port of the recovered server (default: a free one).
        public var port: Int?
        /// Empty a non-empty target directory first.
        public var force = false
        /// Stop the server once the checks ran.
        public var stopAfterChecks = false
        /// Keep the backup's WAL archiving on the recovered server (it becomes the primary).
        public var keepArchiving = false
        /// As root: the OS user that extracts the backup and runs the recovered server
        /// (default `RUN_AS_USER`, else `postgres`).
        public var runAs: String?
        /// Restore a base backup from `REMOTE_TARGET` even when a local one would do.
        public var fromRemote = false

        public init(targetDirectory: String, target: RecoveryTarget = .latest, port: Int? = nil, force: Bool = false, stopAfterChecks: Bool = false, keepArchiving: Bool = false, runAs: String? = nil, fromRemote: Bool = false) {
            self.fromRemote = fromRemote
            self.targetDirectory = targetDirectory
            self.target = target
            self.port = port
            self.force = force
            self.stopAfterChecks = stopAfterChecks
            self.keepArchiving = keepArchiving
            self.runAs = runAs
        }
    }

    public var configuration: Configuration
    public var progress: ProgressReporter?
    public static let applicationName = "pra-pitr"
    public static let serverLogName = "pra-recovery.log"

    public init(configuration: Configuration, progress: ProgressReporter? = nil) {
        self.configuration = configuration
        self.progress = progress
    }

    public func run(_ request: Request, now: Date = Date()) throws(OperationFailure) -> RestoreResult {
        let recoveryTimeout: Double
        let healthTimeout: Double
        let settings: ConnectionSettings
        let remote: RemoteCopyOperation?
        do {
            remote = try RemoteCopyOperation(configuration: configuration)
            recoveryTimeout = try configuration.seconds("RECOVERY_TIMEOUT")
            healthTimeout = try configuration.seconds("HEALTH_TIMEOUT")
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
        let database = settings.databaseName ?? "postgres"
        let binaries = PostgresBinaries(configuration: configuration)
        let pgCtl: String
        let verifyTool: String
        do {
            pgCtl = try binaries.locate("pg_ctl")
            verifyTool = try binaries.locate("pg_verifybackup")
        } catch {
            throw OperationFailure(stage: "prepare", error)
        }
        let binDirectory = (pgCtl as NSString).deletingLastPathComponent
        let user: OSUser?
        do {
            user = try OSUser.unprivileged(configured: request.runAs ?? configuration["RUN_AS_USER"])
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        var target = RecoveryTargetDirectory(path: directory, user: user)
        let protected = [("BACKUP_DIR", backupDirectory), ("REPORT_DIR", configuration.reportDirectory)] + (configuration["LOG_DIR"].map { [("LOG_DIR", $0)] } ?? [])
        let replacing = try target.inspect(force: request.force, protected: protected.map { (name: $0.0, path: Self.absolute($0.1)) })
        if let user, let blocker = Self.firstUnreachableAncestor(of: directory, for: user) {
            throw OperationFailure(stage: "target", message: "the server will run as \(user.name), who cannot reach \(directory): \(blocker) is not searchable by that user; choose a directory under a path \(user.name) can traverse (or chmod o+x \(blocker))", isUsageError: true)
        }

        let clock = MonotonicClock.now()
        var result = RestoreResult(targetDatabase: database, startedAt: Date())
        var phases = PhaseTimer()
        var prepared = false
        // For the evidence log: the base backup used and the recovered cluster's size.
        var evidenceBackup: String?
        var clusterSize: Int64?
        func finish() -> RestoreResult {
            phases.end()
            result.phases = phases.phases
            result.seconds = clock.elapsed()
            result.reportFile = try? RestoreReport(result: result).write(to: configuration.reportDirectory)
            let reached = result.pointInTime.map { $0.reachedTime ?? result.backupFinishedAt }
            let evidence = EvidenceWriter(configuration: configuration).record(
                restore: result, method: .pointInTime, database: database, target: directory, backup: evidenceBackup, recoveryPoint: reached ?? nil, sizeBytes: clusterSize)
            (result.evidenceFile, result.evidenceError) = (evidence.file, evidence.error)
            return result
        }
        func fail(_ stage: String, _ message: String) -> RestoreResult {
            // Nothing half-restored stays behind: the directory holds no server that could be
            // mistaken for the recovered one, and a data directory moved aside is put back.
            if prepared { target.rollBack() }
            result.failedStage = stage
            result.failure = message
            return finish()
        }

        let archive = WALArchive(backupDirectory: backupDirectory)
        if ArchiveCatchUp.isNeeded(for: request.target, newestArchivedAt: archive.files().map(\.archivedAt).max()) {
            phases.begin("switch WAL")
            progress?.announce("switching WAL on the server and waiting until it is archived")
            result.checks.append(ArchiveCatchUp(configuration: configuration).run())
        }
        phases.begin("choose backup")
        let identity = try? archive.identity()
        let all = BaseBackupCatalogue(directory: backupDirectory).complete.filter { entry in
            identity.map { entry.manifest?.systemIdentifier == $0.systemIdentifier } ?? true
        }
        var sources = PointInTimeBaseBackupSources(local: all, remote: remote, fromRemote: request.fromRemote, target: request.target,
                                                   database: database, systemIdentifier: identity?.systemIdentifier)
        if remote != nil && (request.fromRemote || all.isEmpty) { sources.listRemote() }
        guard !all.isEmpty || sources.remoteCount > 0 || !sources.problems.isEmpty else {
            // Nothing to restore from is a setup problem (exit 2), not a failed restore: no report, no directory.
            throw OperationFailure(stage: "choose backup", message: "no complete base backup in \(backupDirectory)\(remote.map { " nor on \($0.store.description)" } ?? ""): take one with pra backup --base, which needs the server to archive its WAL (wal_level = replica, archive_mode = on, archive_command = 'pra wal push %p ...': pra schedule print shows the lines)", isUsageError: true)
        }
        if request.fromRemote && sources.remoteCount == 0 && sources.problems.isEmpty {
            throw OperationFailure(stage: "choose backup", message: "--from-remote: no complete off-site base backup of this cluster on \(remote?.store.description ?? "REMOTE_TARGET"): pra backup --base copies each base backup there when REMOTE_TARGET is set", isUsageError: true)
        }
        guard sources.hasMore() else {
            if !sources.problems.isEmpty && (request.fromRemote || all.isEmpty) {
                return fail("choose backup", "no usable off-site base backup: \(sources.problems.joined(separator: "; "))")
            }
            let oldest = [all.last?.manifest, sources.oldestRemote].compactMap { $0 }.min { $0.finishedAt < $1.finishedAt }!
            let window = RecoverableWindow.compute(directory: backupDirectory).window
            return fail("choose backup", "the target \(request.target) is before the oldest base backup (\(oldest.archive), consistent from \(RecoveryTarget.format(oldest.finishedAt)), LSN \(oldest.endLSN))" + (window.map { "; \($0.sentence)" } ?? ""))
        }
        // restore_command's env file: REMOTE_TARGET and its keys for pra wal get, never in argv or postgresql.auto.conf.
        let walEnvironment: RestoreCommandEnvironment
        do {
            walEnvironment = try RestoreCommandEnvironment.create(configuration: configuration, backupDirectory: backupDirectory, user: user)
        } catch {
            throw OperationFailure(stage: "configuration", message: "cannot write the env file for restore_command: \(error)")
        }
        // Removed however the restore ends: returned, thrown, or interrupted (SIGINT/SIGTERM).
        let walEnvironmentToken = InterruptCleanup.shared.register { walEnvironment.remove() }
        defer {
            walEnvironment.remove()
            InterruptCleanup.shared.unregister(walEnvironmentToken)
        }
        if let problem = walEnvironment.probe(backupDirectory: Self.absolute(backupDirectory), user: user) {
            return fail("choose backup", problem)
        }

        // A backup is chosen before the target is touched; a data directory there is moved aside, never deleted.
        do {
            try target.prepare(replacing: replacing)
        } catch {
            return fail("target", error.message)
        }
        prepared = true
        if let aside = target.aside { result.checks.append(.init(name: "moved aside", passed: true, message: "the data directory that was in \(directory) was moved to \(aside)")) }
        // A restore point (--target-name) is not indexed by time: when recovery from the newest
        // base backup ends before reaching it, the point is older, and the next older base
        // backup is tried.
        var attempt: RecoveryAttempt?
        attempts: while attempt == nil {
            var chosen: PointInTimeBaseBackupSources.Candidate?
            while let candidate = sources.next() {
                let name = candidate.fileName
                // An off-site copy: its manifests downloaded into a private directory in BACKUP_DIR
                // (removed once pg_verifybackup checked the copy), its archive streamed from the
                // store into the same verification and extraction as a local one.
                let fetched: (entry: BaseBackupCatalogue.Entry, directory: String?, stream: RemoteArchiveStream?)
                switch candidate {
                case .local(let entry):
                    fetched = (entry, nil, nil)
                case .remote(let copy):
                    phases.begin("fetch off-site")
                    do {
                        let offSite = try fetchOffSite(copy, with: remote!, backupDirectory: backupDirectory)
                        fetched = (offSite.entry, offSite.directory, offSite.stream)
                    } catch {
                        result.skippedBackups.append("off-site \(name) could not be fetched: \(error)")
                        continue
                    }
                }
                defer { if let directory = fetched.directory { try? FileManager.default.removeItem(atPath: directory) } }
                let entry = fetched.entry
                phases.begin("extract")
                target.clear()
                let verdict: VerificationResult
                do {
                    verdict = try extract(entry, into: directory, as: user, archive: fetched.stream?.handle)
                } catch {
                    _ = fetched.stream?.finish()
                    return fail("extract", "cannot extract \(name) into \(directory): \(error)")
                }
                let transferFailure = fetched.stream?.finish()
                if fetched.directory == nil { VerificationRecord.save(verdict) }
                let origin = fetched.directory == nil ? "" : "off-site "
                if !verdict.valid, let transferFailure {
                    // A download that broke is not a damaged backup: said as what it is.
                    result.skippedBackups.append("off-site \(name) could not be fetched: \(transferFailure)")
                    continue
                }
                guard verdict.valid else {
                    result.skippedBackups.append("\(origin)\(name) failed verification (\(verdict.problems.map(\.message).joined(separator: "; ")))")
                    continue
                }
                phases.begin("verify")
                let check = ExternalProcess(executable: verifyTool, arguments: ["--no-parse-wal", "--quiet", "--manifest-path=\(entry.postgresManifestPath)", directory], timeout: 3600)
                if let outcome = try? check.run(), !outcome.succeeded {
                    result.skippedBackups.append("\(origin)\(name) failed pg_verifybackup (\(outcome.standardError.split(separator: "\n").prefix(3).joined(separator: "; ")))")
                    continue
                }
                chosen = candidate
                break
            }
            guard let chosen else {
                return fail("verify", "no base backup for \(request.target) verifies: \((result.skippedBackups + sources.problems).joined(separator: "; "))")
            }
            let manifest = chosen.manifest
            let origins = recordSources(chosen, remote: remote, backupDirectory: backupDirectory, into: &result)
            evidenceBackup = chosen.fileName
            result.archiveHasManifest = true
            result.backupFinishedAt = manifest.finishedAt

            phases.begin("recover")
            let port = request.port ?? LoopbackSocket.freePort() ?? 5433
            let socketDirectory: String
            do {
                socketDirectory = try Self.socketDirectory(for: directory, port: port, user: user)
            } catch {
                return fail("recover", "\(error)")
            }
            let logFile = (directory as NSString).appendingPathComponent(Self.serverLogName)
            let control = ServerControl(dataDirectory: directory, logFile: logFile, binDirectory: binDirectory, user: user)
            let details = PointInTimeDetails(target: request.target.description, dataDirectory: directory, port: port, socketDirectory: socketDirectory,
                                             baseBackup: manifest.archive, serverRunning: false, serverLog: logFile,
                                             baseBackupSource: origins.base, walSource: origins.wal)
            do {
                try configureRecovery(target, recoveryTarget: request.target, port: port, socketDirectory: socketDirectory, keepArchiving: request.keepArchiving, envFile: walEnvironment.path)
            } catch {
                return fail("recover", "cannot prepare \(directory) for recovery: \(error)")
            }
            // What recovery should replay: the archive as it is now (the source may keep archiving meanwhile).
            let segmentSize = identity?.segmentSize ?? 16 << 20
            let archivedBefore = WALContinuity(files: archive.files(), start: WALFileName(manifest.startSegment)!, segmentSize: segmentSize, history: archive.history(of:))
            let serverSettings = ConnectionSettings(parameters: settings.libpqParameters.merging(["host": socketDirectory, "port": "\(port)", "dbname": database]) { $1 }.filter { $0.key != "hostaddr" && $0.key != "service" })
            let recovered: PostgresConnection
            let paused: Bool
            do {
                (recovered, paused) = try waitForRecovery(control, settings: serverSettings, timeout: recoveryTimeout)
            } catch let failure as RecoveryFailure {
                try? control.stop(mode: "immediate")
                if failure.targetNotReached, case .name(let point) = request.target {
                    result.skippedBackups.append("\(chosen.fileName): recovery from it ended before reaching the restore point \(point), which must be older")
                    if sources.hasMore() { continue attempts }
                    return fail("recover", "recovery ended before reaching the restore point \(point) from every base backup tried (\(result.skippedBackups.count)): check its name (pg_create_restore_point) and that a base backup older than it is kept (server log: \(control.logTail(lines: 3)))")
                }
                // The archive as recovery found it: what it lacked is what stopped it.
                let continuity = archivedBefore
                let missing = continuity.gap ?? continuity.lastContiguous.flatMap { last in
                    last.name.segmentNumber(segmentSize: segmentSize).map { WALFileName(timeline: last.name.timeline, segmentNumber: $0 + 1, segmentSize: segmentSize) }
                }
                var message = failure.message
                if failure.targetNotReached {
                    let latest = Self.lastReplayedTime(in: control.logLines()) ?? continuity.lastContiguous?.archivedAt
                    let reachable = latest.map { "; the latest point it can reach is about \(RecoveryTarget.format($0)) (rerun with --target-time at or before it, or without a target)" } ?? ""
                    let redoDone = Self.value(after: "redo done at ", in: control.logLines()).flatMap { LogSequenceNumber(String($0.prefix { !$0.isWhitespace })) }
                    if let unrestorable = UnrestorableSegment.name(in: control.logLines())
                        ?? UnrestorableSegment.stoppedBefore(redoDone: redoDone, lastContiguous: continuity.lastContiguous?.name, segmentSize: segmentSize)?.text {
                        message = "the WAL needed to reach \(request.target) could not be replayed: archived segment \(unrestorable) is corrupt or unreadable (pra wal get refused it; its line in the server log says why)\(reachable)"
                    } else {
                        message = "the WAL needed to reach \(request.target) is not in the archive: segment \(missing?.text ?? "?") is missing\(reachable)"
                    }
                }
                return fail("recover", message + " (server log: \(control.logTail(lines: 3)))")
            } catch {
                try? control.stop(mode: "immediate")
                return fail("recover", "\(error)")
            }
            attempt = RecoveryAttempt(manifest: manifest, control: control, details: details, recovered: recovered, paused: paused, archivedBefore: archivedBefore, segmentSize: segmentSize, port: port)
        }
        guard let attempt else { return fail("recover", "no base backup could be recovered") }
        let manifest = attempt.manifest, control = attempt.control, recovered = attempt.recovered, paused = attempt.paused
        let archivedBefore = attempt.archivedBefore, segmentSize = attempt.segmentSize, port = attempt.port
        var details = attempt.details
        details.serverRunning = true
        details.stopCommand = attempt.control.stopCommandLine
        details.reachedTime = (try? recovered.scalar("SELECT extract(epoch FROM pg_last_xact_replay_timestamp())::float8")).flatMap { $0 }.flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
            ?? Self.lastReplayedTime(in: control.logLines())
        details.reachedLSN = paused
            ? (try? recovered.scalar("SELECT pg_last_wal_replay_lsn()::text")).flatMap { $0 }
            : Self.value(after: "redo done at ", in: control.logLines()).map { String($0.prefix { !$0.isWhitespace }) }

        phases.begin("check")
        // The data is checked while recovery is paused at the target: a copy that fails its
        // checks is never promoted (it could not be resumed to another point after that).
        var dataChecks = [targetCheck(request.target, reached: details.reachedTime, reachedLSN: details.reachedLSN.flatMap(LogSequenceNumber.init), manifest: manifest, continuity: archivedBefore, segmentSize: segmentSize)]
        dataChecks += criticalTablesCheck(recovered, database: database)
        if paused {
            let failed = dataChecks.filter { !$0.passed }
            guard failed.isEmpty else {
                result.checks += dataChecks
                try? control.stop(mode: "immediate")
                return fail("check", "recovery paused at the target and was not promoted, since a check failed: " + failed.map { "\($0.name): \($0.message)" }.joined(separator: "; "))
            }
            do {
                try promote(recovered, control: control, timeout: recoveryTimeout)
            } catch {
                try? control.stop(mode: "immediate")
                return fail("recover", "\(error)")
            }
        }
        details.timeline = Self.value(after: "selected new timeline ID: ", in: control.logLines()).flatMap { UInt32($0.prefix { $0.isNumber }) }
        result.checks.append(.init(name: "server", passed: true, message: "recovery finished and the server accepts writes on port \(port)" + (details.timeline.map { ", timeline \($0)" } ?? "")))
        result.checks += dataChecks
        // The databases' sizes, from the catalogue: cheaper than walking the data directory.
        clusterSize = (try? recovered.scalar("SELECT sum(pg_database_size(oid)) FILTER (WHERE has_database_privilege(oid, 'CONNECT'))::text FROM pg_database")).flatMap { $0 }.flatMap { Int64($0) }
        let probe = HealthProbe(timeout: healthTimeout)
        if let url = configuration["APP_HEALTH_URL"] {
            let outcome = probe.check(url)
            result.checks.append(.init(name: "health", passed: outcome.healthy, message: outcome.summary))
        }
        for url in configuration.list("API_ENDPOINTS") {
            let outcome = probe.check(url)
            result.checks.append(.init(name: "endpoint", passed: outcome.healthy, message: outcome.summary))
        }
        if request.stopAfterChecks {
            do {
                try control.stop()
                details.serverRunning = false
            } catch {
                result.checks.append(.init(name: "stop", passed: false, message: "could not stop the recovered server: \(error)"))
            }
        }
        result.pointInTime = details
        return finish()
    }

    /// Whether the data reached the target: for a time, the last replayed commit is not after
    /// it; for the latest point, no archived segment was left unreplayed behind a gap.
    private func targetCheck(_ target: RecoveryTarget, reached: Date?, reachedLSN: LogSequenceNumber?, manifest: BaseBackupManifest, continuity: WALContinuity, segmentSize: UInt64) -> RestoreResult.Check {
        let reachedText = reached.map { "last replayed commit at \(RecoveryTarget.format($0))" } ?? "no commit replayed after the base backup"
        switch target {
        case .time(let date):
            let passed = reached.map { $0 <= date.addingTimeInterval(0.001) } ?? true
            return .init(name: "target", passed: passed, message: "\(reachedText); target \(RecoveryTarget.format(date))")
        case .latest:
            if let gap = continuity.gap {
                return .init(name: "target", passed: false, message: "\(reachedText); WAL segment \(gap.text) is missing, so the archived WAL after it (through \(continuity.newest?.name.text ?? "?")) could not be replayed: those commits are lost")
            }
            // Replay that ended before the archive's last segment: a segment could not be fetched (corrupt).
            if let reachedLSN, let last = continuity.lastContiguous, let lastNumber = last.name.segmentNumber(segmentSize: segmentSize),
               reachedLSN.value / segmentSize < lastNumber {
                let stopped = reachedLSN.value / segmentSize
                let next = WALFileName(timeline: last.name.timeline, segmentNumber: stopped + 1, segmentSize: segmentSize)
                return .init(name: "target", passed: false, message: "\(reachedText); replay stopped at LSN \(reachedLSN), before archived segment \(next.text) (corrupt or unreadable: see the server log), so the archived WAL through \(last.name.text) could not be replayed: those commits are lost")
            }
            return .init(name: "target", passed: true, message: "\(reachedText); all archived WAL replayed (through \(continuity.lastContiguous?.name.text ?? manifest.endSegment))")
        case .lsn, .name:
            return .init(name: "target", passed: true, message: "\(reachedText); stopped at \(target)")
        }
    }

    /// What one recovery attempt left running: the server paused at its target or promoted.
    private struct RecoveryAttempt {
        let manifest: BaseBackupManifest
        let control: ServerControl
        let details: PointInTimeDetails
        let recovered: PostgresConnection
        let paused: Bool
        let archivedBefore: WALContinuity
        let segmentSize: UInt64
        let port: Int
    }

    struct RecoveryFailure: Error {
        let message: String
        let targetNotReached: Bool
    }

    /// Starts the server and waits until recovery paused at its target (`paused`) or ended and
    /// the server was promoted; returns a connection to it. A server that exits fails with the
    /// reason from its log.
    private func waitForRecovery(_ control: ServerControl, settings: ConnectionSettings, timeout: Double) throws -> (PostgresConnection, paused: Bool) {
        try control.start(wait: false)
        let started = MonotonicClock.now()
        var connection: PostgresConnection?
        var sawServer = false
        while started.elapsed() < timeout {
            if control.isRunning {
                sawServer = true
            } else if let reason = Self.failureReason(in: control.logLines()) ?? ((sawServer || started.elapsed() > 10) ? "the server exited" : nil) {
                throw RecoveryFailure(message: "recovery failed: \(reason)" + Self.explanation(of: reason), targetNotReached: reason.contains("recovery ended before configured recovery target was reached"))
            }
            if connection == nil {
                connection = try? PostgresConnection(settings, applicationName: Self.applicationName)
            }
            if let current = connection {
                do {
                    if try current.scalar("SELECT pg_is_in_recovery()") == "f" { return (current, false) }
                    if try current.scalar("SELECT pg_get_wal_replay_pause_state()") == "paused" { return (current, true) }
                } catch {
                    connection = nil
                }
            }
            usleep(100_000)
        }
        throw RecoveryFailure(message: "recovery did not finish within RECOVERY_TIMEOUT=\(DurationParser.format(timeout)); the server log \(control.logFile) says: \(control.logTail(lines: 3))", targetNotReached: false)
    }

    /// Ends recovery paused at its target: the server promotes; waits until it accepts writes.
    private func promote(_ connection: PostgresConnection, control: ServerControl, timeout: Double) throws {
        try connection.execute("SELECT pg_wal_replay_resume()")
        let started = MonotonicClock.now()
        while started.elapsed() < timeout {
            if try connection.scalar("SELECT pg_is_in_recovery()") == "f" { return }
            if !control.isRunning {
                throw RecoveryFailure(message: "the server exited while promoting: \(Self.failureReason(in: control.logLines()) ?? control.logTail(lines: 3))", targetNotReached: false)
            }
            usleep(100_000)
        }
        throw RecoveryFailure(message: "the server did not promote within RECOVERY_TIMEOUT=\(DurationParser.format(timeout)): \(control.logTail(lines: 3))", targetNotReached: false)
    }

    /// Every table of `CRITICAL_TABLES` exists in the recovered database (none configured: no check).
    private func criticalTablesCheck(_ recovered: PostgresConnection, database: String) -> [RestoreResult.Check] {
        let critical = configuration.list("CRITICAL_TABLES")
        guard !critical.isEmpty else { return [] }
        var missing: [String] = []
        var failure: String?
        for table in critical {
            do {
                if try recovered.scalar("SELECT to_regclass($1)::text", [table]) == nil { missing.append(table) }
            } catch {
                failure = "cannot look \(table) up in \(database): \(error)"
                break
            }
        }
        if let failure { return [.init(name: "critical tables", passed: false, message: failure)] }
        return [.init(name: "critical tables", passed: missing.isEmpty, message: missing.isEmpty
            ? "all \(critical.count) present in \(database) (\(critical.joined(separator: ", ")))"
            : "missing in \(database): \(missing.joined(separator: ", "))")]
    }

    /// Appends the recovery settings to `postgresql.auto.conf` and creates `recovery.signal`,
    /// never through a symbolic link nor into a file the server's account does not own alone
    /// (``RecoveryTargetDirectory/append(_:to:createOnly:)``). A target is recovered paused
    /// (`recovery_target_action = pause`, hot standby on) so that pra checks it before promoting.
    private func configureRecovery(_ target: RecoveryTargetDirectory, recoveryTarget: RecoveryTarget, port: Int, socketDirectory: String, keepArchiving: Bool, envFile: String) throws {
        let restoreCommand = ShellCommandLine.postgresCommand([
            .literal(RunningExecutable.path), "wal", "get", .placeholder("%f"), .placeholder("%p"),
            "--backup-dir", .literal(Self.absolute(configuration.backupDirectory)), "--env-file", .literal(envFile),
        ])
        var settings: [(String, String)] = [
            ("restore_command", restoreCommand), ("recovery_target_timeline", "latest"), ("recovery_target_action", "pause"),
            ("hot_standby", "on"), ("port", "\(port)"), ("unix_socket_directories", socketDirectory),
        ]
        settings += recoveryTarget.settings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if !keepArchiving { settings.append(("archive_mode", "off")) }
        var text = "\n# pra restore --pitr, \(RecoveryTarget.format(Date())): recovery to \(recoveryTarget)\n"
        for (key, value) in settings {
            text += "\(key) = \(key == "port" ? value : ShellCommandLine.configurationValue(value))\n"
        }
        // A cluster whose configuration lives elsewhere (Debian's /etc/postgresql): minimal ones.
        try target.append("# written by pra restore --pitr: the base backup held no postgresql.conf\nlisten_addresses = ''\n", to: "postgresql.conf", createOnly: true)
        try target.append("# written by pra restore --pitr: local connections by the same OS user only\nlocal all all peer\n", to: "pg_hba.conf", createOnly: true)
        try target.append(text, to: "postgresql.auto.conf")
        try target.append("", to: "recovery.signal", createOnly: true)
    }

    /// Extracts the archive into `directory` with `tar`, verifying it in the same pass.
    /// tar runs as the server's account (never root), and sees only the entries
    /// ``TarStreamScanner`` allows.
    private func extract(_ entry: BaseBackupCatalogue.Entry, into directory: String, as user: OSUser?, archive: FileHandle? = nil) throws -> VerificationResult {
        struct InvalidArchive: Error {}
        let tar = ExternalProcess(executable: try SystemProgram.locate("tar", package: "tar"), arguments: ["-x", "-f", "-", "-C", directory, "--no-same-owner", "--no-same-permissions"],
                                  environment: ChildEnvironment.base(), timeout: 6 * 3600, user: user)
        var verdict: VerificationResult?
        var tarStopped: Error?
        let progress = self.progress
        do {
            let outcome = try tar.run { stdin in
                let result = try BaseBackupVerifier(phase: "extract").verify(entry, archive: archive, progress: progress) { piece in
                    // tar stops reading when damaged data reaches it before the verifier can tell
                    // (the SHA-256 and gzip CRC are known at the end): verification goes on without
                    // it, so a damaged archive falls back to an older one instead of failing the restore.
                    guard tarStopped == nil else { return }
                    do { try stdin.write(piece) } catch { tarStopped = error }
                }
                verdict = result
                if !result.valid { throw InvalidArchive() }
            }
            try tar.check(outcome)
            if let tarStopped { throw tarStopped }
        } catch let failure as ConsumerFailure where failure.underlying is InvalidArchive {
            if let verdict { return verdict }
        }
        guard let verdict else { throw OperationFailure(stage: "extract", message: "tar ended before the archive was read") }
        return verdict
    }

    /// The directory of the recovered server's socket: the data directory, or when its path
    /// is too long for a socket name, a new private one (`/tmp/pra-pitr-XXXXXX`, mode 0700,
    /// the server's account's) rather than the shared `/tmp`, where another account could
    /// have put a socket of its own first.
    static func socketDirectory(for directory: String, port: Int, user: OSUser?) throws -> String {
        if (directory + "/.s.PGSQL.\(port).lock").utf8.count < 100 { return directory }
        var template = Array("/tmp/pra-pitr-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw FileError(operation: .mkdir, path: "/tmp/pra-pitr-XXXXXX", code: errno) }
        let path = String(cString: created)
        if let user, chown(path, user.uid, user.gid) != 0 { throw FileError(operation: .mkdir, path: path, code: errno) }
        return path
    }

    /// The first ancestor of `directory` that `user` may not search (execute bit), or `nil`.
    static func firstUnreachableAncestor(of directory: String, for user: OSUser) -> String? {
        var path = ""
        for component in (directory as NSString).deletingLastPathComponent.split(separator: "/") {
            path += "/" + component
            var info = stat()
            guard stat(path, &info) == 0 else { return path }
            let mode = info.st_mode
            let searchable = info.st_uid == user.uid ? mode & S_IXUSR != 0 : (info.st_gid == user.gid ? mode & S_IXGRP != 0 : mode & S_IXOTH != 0)
            if !searchable { return path }
        }
        return nil
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }

    /// Why the server stopped: its last FATAL or PANIC message, leaving out the FATALs it logs
    /// for connections it refused while recovering ("the database system is in recovery mode"):
    /// pra's own polling connection can be refused just after the startup process failed.
    static func failureReason(in log: [String]) -> String? {
        log.lazy.compactMap { line -> String? in
            guard let marker = line.range(of: "FATAL:") ?? line.range(of: "PANIC:") else { return nil }
            let reason = line[marker.upperBound...].trimmingCharacters(in: .whitespaces)
            return reason.hasPrefix("the database system is ") ? nil : reason
        }.last
    }

    /// What PostgreSQL's wording means for pra's archive: `pra wal get` exits 126 (PostgreSQL
    /// reports "command not executable") for an archived file it found corrupt or unreadable.
    static func explanation(of reason: String) -> String {
        guard reason.contains("could not restore file"), reason.contains("command not executable") || reason.contains("exit code 126") else { return "" }
        return " — pra wal get found that archived file corrupt or unreadable (its own line in the server log says which and why); recovery stopped there and the copy was not promoted"
    }

    /// "last completed transaction was at log time 2026-12-01 15:07:40.123+00" from the log.
    static func lastReplayedTime(in log: [String]) -> Date? {
        guard let text = value(after: "last completed transaction was at log time ", in: log) else { return nil }
        return parsePostgresTimestamp(text)
    }

    static func value(after marker: String, in log: [String]) -> String? {
        guard let line = log.last(where: { $0.contains(marker) }), let range = line.range(of: marker) else { return nil }
        return String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
    }

    /// PostgreSQL's `2026-12-01 15:07:40.123456+00` (offset in hours, optional minutes).
    static func parsePostgresTimestamp(_ text: String) -> Date? {
        var value = text.replacingOccurrences(of: " ", with: "T")
        if let sign = value.lastIndex(where: { $0 == "+" || $0 == "-" }), value.distance(from: sign, to: value.endIndex) == 3 {
            value += ":00"
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: value) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: value)
    }
}
