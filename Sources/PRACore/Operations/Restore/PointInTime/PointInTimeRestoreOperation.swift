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

    /// Runs the recovery. Configuration mistakes and refusals throw; everything else is
    /// reported in the result (and in the report file), which says whether it succeeded.
    public func run(_ request: Request, now: Date = Date()) throws(OperationFailure) -> RestoreResult {
        let setup = try setUp(request, now: now)
        var target = setup.target
        var run = RestoreRun(configuration: configuration, targetDatabase: setup.database)
        var prepared = false
        // For the evidence log: the base backup used and the recovered cluster's size.
        var evidence: (backup: String?, size: Int64?) = (nil, nil)
        let archive = WALArchive(backupDirectory: setup.backupDirectory)
        do throws(RestoreStop) {
            catchUpArchive(for: request.target, archive: archive, run: &run)
            run.begin(.chooseBackup)
            let identity = try? archive.identity()
            var sources = try chooseSources(request, setup: setup, identity: identity)
            // restore_command's env file: REMOTE_TARGET and its keys for pra wal get, never in argv or postgresql.auto.conf.
            let walEnvironment = try restoreCommandEnvironment(setup)
            // Removed however the restore ends: returned, thrown, or interrupted (SIGINT/SIGTERM).
            let walEnvironmentToken = InterruptCleanup.shared.register { walEnvironment.remove() }
            defer {
                walEnvironment.remove()
                InterruptCleanup.shared.unregister(walEnvironmentToken)
            }
            if let problem = walEnvironment.probe(backupDirectory: Self.absolute(setup.backupDirectory), user: setup.user) {
                throw RestoreStop.failed(stage: .chooseBackup, message: problem)
            }
            try prepare(&target, setup: setup, run: &run)
            prepared = true
            let context = RecoveryContext(request: request, setup: setup, target: target, archive: archive, identity: identity, envFile: walEnvironment.path)
            let attempt = try recover(context, from: &sources, run: &run, backup: &evidence.backup)
            var details = try checkThenPromote(attempt, context: context, run: &run)
            // The databases' sizes, from the catalogue: cheaper than walking the data directory.
            evidence.size = (try? attempt.recovered.scalar("SELECT sum(pg_database_size(oid)) FILTER (WHERE has_database_privilege(oid, 'CONNECT'))::text FROM pg_database")).flatMap { $0 }.flatMap { Int64($0) }
            run.result.checks += HealthChecks(configuration: configuration, timeout: setup.healthTimeout).run()
            if request.stopAfterChecks { stopServer(attempt.control, details: &details, run: &run) }
            run.result.pointInTime = details
        } catch {
            switch error {
            case .refused(let failure):
                throw failure
            case .failed(let stage, let message):
                // Nothing half-restored stays behind: the directory holds no server that could be
                // mistaken for the recovered one, and a data directory moved aside is put back.
                if prepared { target.rollBack() }
                run.fail(stage: stage, message: message)
            }
        }
        return run.finish { result in
            let reached = result.pointInTime.map { $0.reachedTime ?? result.backupFinishedAt }
            return EvidenceWriter(configuration: configuration).record(
                restore: result, method: .pointInTime, database: setup.database, target: setup.directory, backup: evidence.backup, recoveryPoint: reached ?? nil, sizeBytes: evidence.size)
        }
    }

    /// A target time past the newest archived WAL: the server switches WAL and waits until it is archived.
    private func catchUpArchive(for target: RecoveryTarget, archive: WALArchive, run: inout RestoreRun) {
        guard ArchiveCatchUp.isNeeded(for: target, newestArchivedAt: archive.files().map(\.archivedAt).max()) else { return }
        run.begin(.switchWAL)
        progress?.announce("switching WAL on the server and waiting until it is archived")
        run.result.checks.append(ArchiveCatchUp(configuration: configuration).run())
    }

    /// The base backups of this cluster to try, newest first: local, and off-site ones when
    /// asked or when none is local. Nothing to restore from is a setup problem (a refusal).
    private func chooseSources(_ request: Request, setup: Setup, identity: WALArchive.Identity?) throws(RestoreStop) -> PointInTimeBaseBackupSources {
        let backupDirectory = setup.backupDirectory, remote = setup.remote
        let all = BaseBackupCatalogue(directory: backupDirectory).complete.filter { entry in
            identity.map { entry.manifest?.systemIdentifier == $0.systemIdentifier } ?? true
        }
        var sources = PointInTimeBaseBackupSources(local: all, remote: remote, fromRemote: request.fromRemote, target: request.target,
                                                   database: setup.database, systemIdentifier: identity?.systemIdentifier)
        if remote != nil && (request.fromRemote || all.isEmpty) { sources.listRemote() }
        guard !all.isEmpty || sources.remoteCount > 0 || !sources.problems.isEmpty else {
            // Nothing to restore from is a setup problem (exit 2), not a failed restore: no report, no directory.
            throw RestoreStop.refused(OperationFailure(stage: "choose backup", message: "no complete base backup in \(backupDirectory)\(remote.map { " nor on \($0.store.description)" } ?? ""): take one with pra backup --base, which needs the server to archive its WAL (wal_level = replica, archive_mode = on, archive_command = 'pra wal push %p ...': pra schedule print shows the lines)", isUsageError: true))
        }
        if request.fromRemote && sources.remoteCount == 0 && sources.problems.isEmpty {
            throw RestoreStop.refused(OperationFailure(stage: "choose backup", message: "--from-remote: no complete off-site base backup of this cluster on \(remote?.store.description ?? Setting.remoteTarget.name): pra backup --base copies each base backup there when REMOTE_TARGET is set", isUsageError: true))
        }
        guard sources.hasMore() else {
            if !sources.problems.isEmpty && (request.fromRemote || all.isEmpty) {
                throw RestoreStop.failed(stage: .chooseBackup, message: "no usable off-site base backup: \(sources.problems.joined(separator: "; "))")
            }
            let oldest = [all.last?.manifest, sources.oldestRemote].compactMap { $0 }.min { $0.finishedAt < $1.finishedAt }!
            let window = RecoverableWindow.compute(directory: backupDirectory).window
            throw RestoreStop.failed(stage: .chooseBackup, message: "the target \(request.target) is before the oldest base backup (\(oldest.archive), consistent from \(RecoveryTarget.format(oldest.finishedAt)), LSN \(oldest.endLSN))" + (window.map { "; \($0.sentence)" } ?? ""))
        }
        return sources
    }

    /// The env file `restore_command` (`pra wal get`) reads `REMOTE_TARGET` and its keys from.
    private func restoreCommandEnvironment(_ setup: Setup) throws(RestoreStop) -> RestoreCommandEnvironment {
        do {
            return try RestoreCommandEnvironment.create(configuration: configuration, backupDirectory: setup.backupDirectory, user: setup.user)
        } catch {
            throw RestoreStop.refused(OperationFailure(stage: "configuration", message: "cannot write the env file for restore_command: \(error)"))
        }
    }

    /// A backup is chosen before the target is touched; a data directory there is moved aside, never deleted.
    private func prepare(_ target: inout RecoveryTargetDirectory, setup: Setup, run: inout RestoreRun) throws(RestoreStop) {
        do {
            try target.prepare(replacing: setup.replacing)
        } catch {
            throw RestoreStop.failed(stage: .target, message: error.message)
        }
        if let aside = target.aside { run.result.checks.append(.init(.movedAside, passed: true, message: "the data directory that was in \(setup.directory) was moved to \(aside)")) }
    }

    /// `--stop`: the recovered server is stopped once the checks ran.
    private func stopServer(_ control: ServerControl, details: inout PointInTimeDetails, run: inout RestoreRun) {
        do {
            try control.stop()
            details.serverRunning = false
        } catch {
            run.result.checks.append(.init(.stop, passed: false, message: "could not stop the recovered server: \(error)"))
        }
    }

    /// Whether the data reached the target: for a time, the last replayed commit is not after
    /// it; for the latest point, no archived segment was left unreplayed behind a gap.
    func targetCheck(_ target: RecoveryTarget, reached: Date?, reachedLSN: LogSequenceNumber?, manifest: BaseBackupManifest, continuity: WALContinuity, segmentSize: UInt64) -> RestoreResult.Check {
        let reachedText = reached.map { "last replayed commit at \(RecoveryTarget.format($0))" } ?? "no commit replayed after the base backup"
        switch target {
        case .time(let date):
            let passed = reached.map { $0 <= date.addingTimeInterval(0.001) } ?? true
            return .init(.target, passed: passed, message: "\(reachedText); target \(RecoveryTarget.format(date))")
        case .latest:
            if let gap = continuity.gap {
                return .init(.target, passed: false, message: "\(reachedText); WAL segment \(gap.text) is missing, so the archived WAL after it (through \(continuity.newest?.name.text ?? "?")) could not be replayed: those commits are lost")
            }
            // Replay that ended before the archive's last segment: a segment could not be fetched (corrupt).
            if let reachedLSN, let last = continuity.lastContiguous, let lastNumber = last.name.segmentNumber(segmentSize: segmentSize),
               reachedLSN.value / segmentSize < lastNumber {
                let stopped = reachedLSN.value / segmentSize
                let next = WALFileName(timeline: last.name.timeline, segmentNumber: stopped + 1, segmentSize: segmentSize)
                return .init(.target, passed: false, message: "\(reachedText); replay stopped at LSN \(reachedLSN), before archived segment \(next.text) (corrupt or unreadable: see the server log), so the archived WAL through \(last.name.text) could not be replayed: those commits are lost")
            }
            return .init(.target, passed: true, message: "\(reachedText); all archived WAL replayed (through \(continuity.lastContiguous?.name.text ?? manifest.endSegment))")
        case .lsn, .name:
            return .init(.target, passed: true, message: "\(reachedText); stopped at \(target)")
        }
    }

    /// What one recovery attempt left running: the server paused at its target or promoted.
    struct RecoveryAttempt {
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
    func waitForRecovery(_ control: ServerControl, settings: ConnectionSettings, timeout: Double) throws -> (PostgresConnection, paused: Bool) {
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
    func promote(_ connection: PostgresConnection, control: ServerControl, timeout: Double) throws {
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

    /// Appends the recovery settings to `postgresql.auto.conf` and creates `recovery.signal`,
    /// never through a symbolic link nor into a file the server's account does not own alone
    /// (``RecoveryTargetDirectory/append(_:to:createOnly:)``). A target is recovered paused
    /// (`recovery_target_action = pause`, hot standby on) so that pra checks it before promoting.
    func configureRecovery(_ target: RecoveryTargetDirectory, recoveryTarget: RecoveryTarget, port: Int, socketDirectory: String, keepArchiving: Bool, envFile: String) throws {
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
    func extract(_ entry: BaseBackupCatalogue.Entry, into directory: String, as user: OSUser?, archive: FileHandle? = nil) throws -> VerificationResult {
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
                    // (the SHA-256 and the stream checksum are known at the end): verification goes on without
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
