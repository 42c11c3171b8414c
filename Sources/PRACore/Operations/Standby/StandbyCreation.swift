import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pra standby create`: a warm standby of the archived primary, in a new directory.
///
/// The newest base backup of the cluster that verifies (local, else off-site; the same choice,
/// streaming verification and `pg_verifybackup` as `pra restore --pitr`) is extracted into an
/// empty or new directory, configured with `standby.signal` and a `restore_command` through
/// `pra wal get` with no recovery target (so it keeps replaying whatever the primary archives),
/// and started on its own port. pra waits until it accepts read-only connections in recovery,
/// then writes ``StandbyRecord`` last. A failure stops the server, removes what was extracted
/// (and a directory pra created) and the env file: nothing that looks like a standby stays.
public struct StandbyCreation {
    public struct Request: Sendable {
        /// The new standby's data directory (must be empty or new).
        public var targetDirectory: String
        /// Its port (default: a free one).
        public var port: Int?
        /// As root: the OS account that runs it (default `RUN_AS_USER`, else `postgres`).
        public var runAs: String?
        /// Only the off-site base backups (`REMOTE_TARGET`), even when a local one would do.
        public var fromRemote: Bool
        /// Keep the base backup's WAL archiving settings, so the promoted server archives (it
        /// becomes the primary); default: `archive_mode = off`.
        public var keepArchiving: Bool

        public init(targetDirectory: String, port: Int? = nil, runAs: String? = nil, fromRemote: Bool = false, keepArchiving: Bool = false) {
            self.targetDirectory = targetDirectory
            self.port = port
            self.runAs = runAs
            self.fromRemote = fromRemote
            self.keepArchiving = keepArchiving
        }
    }

    /// What `create` made.
    public struct Result: Codable, Sendable {
        public var ok = true
        public var standby: StandbyRecord
        /// Newer base backups that could not be used, and why.
        public var skippedBackups: [String]
        /// Where the WAL comes from (the local archive, then the off-site one).
        public var walSource: String
        /// The WAL position replayed when pra stopped waiting.
        public var replayedLSN: String?
        public var seconds: Double
    }

    public var configuration: Configuration
    public var progress: ProgressReporter?
    public static let applicationName = "pra-standby"

    public init(configuration: Configuration, progress: ProgressReporter? = nil) {
        self.configuration = configuration
        self.progress = progress
    }

    /// Builds and starts the standby. Refusals (a non-empty directory, no base backup, bad
    /// settings) are usage errors; a standby that could not be built is a failure (exit 1)
    /// naming the stage, with nothing left in the directory.
    public func run(_ request: Request, now: Date = Date()) throws(OperationFailure) -> Result {
        let clock = MonotonicClock.now()
        let pitr = PointInTimeRestoreOperation(configuration: configuration, progress: progress)
        try Self.refuseNonEmpty(request.targetDirectory)
        let pitrRequest = PointInTimeRestoreOperation.Request(targetDirectory: request.targetDirectory, target: .latest, port: request.port,
                                                             keepArchiving: request.keepArchiving, runAs: request.runAs, fromRemote: request.fromRemote)
        let setup = try pitr.setUp(pitrRequest, now: now)
        let archive = WALArchive(backupDirectory: setup.backupDirectory)
        let identity = try? archive.identity()
        var sources = try chooseSources(setup: setup, identity: identity, fromRemote: request.fromRemote)
        let environment = try restoreCommandEnvironment(setup)
        // Kept while the standby lives; removed when creation fails or is interrupted (then the
        // server pra started is stopped too: what stays in the directory has no record, so it is
        // no standby to any pra command).
        let directory = setup.directory
        let token = InterruptCleanup.shared.register {
            ServerControl.shutdown(dataDirectory: directory, grace: 5)
            environment.remove()
        }
        defer { InterruptCleanup.shared.unregister(token) }
        try probeRestoreCommand(environment, setup: setup)
        var target = setup.target
        do {
            try target.prepare(replacing: false)
        } catch {
            environment.remove()
            throw error
        }
        var run = RestoreRun(configuration: configuration, targetDatabase: setup.database)
        let context = PointInTimeRestoreOperation.RecoveryContext(request: pitrRequest, setup: setup, target: target, archive: archive, identity: identity, envFile: environment.path)
        var started: ServerControl?
        do throws(RestoreStop) {
            let chosen = try pitr.nextVerifiedBackup(&sources, context: context, run: &run)
            let origins = pitr.recordSources(chosen, remote: setup.remote, backupDirectory: setup.backupDirectory, into: &run.result)
            let (record, replayed) = try start(chosen, origin: origins.base, request: request, setup: setup, segmentSize: identity?.segmentSize,
                                               environment: environment, target: target, now: now, started: &started)
            return Result(standby: record, skippedBackups: run.result.skippedBackups, walSource: origins.wal, replayedLSN: replayed.lsn, seconds: clock.elapsed())
        } catch {
            // Nothing half-made stays: no server, no extracted cluster, no env file.
            try? started?.stop(mode: "immediate")
            target.rollBack()
            environment.remove()
            switch error {
            case .refused(let failure): throw failure
            case .failed(let stage, let message): throw OperationFailure(stage: stage.rawValue, message: message)
            }
        }
    }

    /// The environment file `restore_command` reads (the off-site keys).
    func restoreCommandEnvironment(_ setup: PointInTimeRestoreOperation.Setup) throws(OperationFailure) -> RestoreCommandEnvironment {
        let environment: RestoreCommandEnvironment
        do {
            environment = try RestoreCommandEnvironment.create(configuration: configuration, backupDirectory: setup.backupDirectory, user: setup.user)
        } catch {
            throw OperationFailure(stage: "configuration", message: "cannot write the env file for restore_command: \(error)")
        }
        return environment
    }

    /// Runs `pra wal get` once as the server's account, so a restore_command that cannot work
    /// is refused before anything is extracted.
    func probeRestoreCommand(_ environment: RestoreCommandEnvironment, setup: PointInTimeRestoreOperation.Setup) throws(OperationFailure) {
        if let problem = environment.probe(backupDirectory: PointInTimeRestoreOperation.absolute(setup.backupDirectory), user: setup.user) {
            environment.remove()
            throw OperationFailure(stage: "choose backup", message: problem)
        }
    }

    /// Configures the extracted base backup `chosen` as a standby, starts it, waits until it
    /// replays, and writes its record; `started` holds the server once it runs, so the caller
    /// can stop it when a later step fails.
    func start(_ chosen: PointInTimeBaseBackupSources.Candidate, origin: String, request: Request, setup: PointInTimeRestoreOperation.Setup, segmentSize: UInt64?,
               environment: RestoreCommandEnvironment, target: RecoveryTargetDirectory, now: Date, started: inout ServerControl?) throws(RestoreStop) -> (StandbyRecord, (lsn: String?, segmentSize: UInt64?)) {
        let manifest = chosen.manifest
        progress?.announce("starting the standby from \(chosen.fileName)")
        let port = request.port ?? LoopbackSocket.freePort() ?? 5433
        let socketDirectory: String
        do {
            socketDirectory = try PointInTimeRestoreOperation.socketDirectory(for: setup.directory, port: port, user: setup.user)
        } catch {
            throw RestoreStop.failed(stage: .start, message: "\(error)")
        }
        var record = StandbyRecord(dataDirectory: setup.directory, port: port, socketDirectory: socketDirectory, database: setup.database,
                                   systemIdentifier: manifest.systemIdentifier, baseBackup: chosen.fileName, baseBackupSource: origin,
                                   baseBackupFinishedAt: manifest.finishedAt, startSegment: manifest.startSegment,
                                   segmentSize: segmentSize ?? 16 << 20, environmentFile: environment.path, runAs: setup.user?.name,
                                   binDirectory: setup.binDirectory, serverLog: (setup.directory as NSString).appendingPathComponent(PointInTimeRestoreOperation.serverLogName),
                                   archivesAfterPromotion: request.keepArchiving, createdAt: now)
        do {
            try configure(target, record: record)
        } catch {
            throw RestoreStop.failed(stage: .configure, message: "cannot configure \(setup.directory) as a standby: \(error)")
        }
        let control = ServerControl(dataDirectory: setup.directory, logFile: record.serverLog, binDirectory: setup.binDirectory, user: setup.user)
        started = control
        let replayed = try waitUntilReplaying(control, record: record, timeout: setup.recoveryTimeout)
        // The server's own segment size: without a local archive (site lost) nothing else says it.
        if let size = replayed.segmentSize { record.segmentSize = size }
        do {
            try record.save()
        } catch {
            throw RestoreStop.failed(stage: .record, message: "cannot write \(StandbyRecord.path(in: setup.directory)): \(error)")
        }
        return (record, replayed)
    }

    /// A standby is only ever built in an empty or new directory (never over a data directory).
    static func refuseNonEmpty(_ directory: String) throws(OperationFailure) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard entries.isEmpty else {
            throw OperationFailure(stage: "target", message: "\(directory) is not empty (\(entries.count) entries): pra standby create builds a standby only in an empty or new directory", isUsageError: true)
        }
    }

    /// The base backups of the archived cluster, newest first: local ones, then off-site ones
    /// (or those only with `fromRemote`). None at all is a refusal.
    func chooseSources(setup: PointInTimeRestoreOperation.Setup, identity: WALArchive.Identity?, fromRemote: Bool) throws(OperationFailure) -> PointInTimeBaseBackupSources {
        let local = BaseBackupCatalogue(directory: setup.backupDirectory).complete.filter { entry in
            identity.map { entry.manifest?.systemIdentifier == $0.systemIdentifier } ?? true
        }
        var sources = PointInTimeBaseBackupSources(local: local, remote: setup.remote, fromRemote: fromRemote, target: .latest,
                                                   database: setup.database, systemIdentifier: identity?.systemIdentifier)
        if setup.remote != nil && (fromRemote || local.isEmpty) { sources.listRemote() }
        guard sources.hasMore() else {
            let where_ = setup.backupDirectory + (setup.remote.map { " nor on \($0.store.description)" } ?? "")
            let problems = sources.problems.isEmpty ? "" : " (\(sources.problems.joined(separator: "; ")))"
            throw OperationFailure(stage: "choose backup", message: "no complete base backup in \(fromRemote ? (setup.remote?.store.description ?? Setting.remoteTarget.name) : where_)\(problems): a standby starts from a base backup; take one with pra backup --base", isUsageError: sources.problems.isEmpty)
        }
        return sources
    }

    /// Appends the standby settings to `postgresql.auto.conf` and creates `standby.signal`,
    /// through ``RecoveryTargetDirectory/append(_:to:createOnly:)`` (no symbolic link followed,
    /// only into files of the server's account). No `recovery_target*`: it replays forever.
    func configure(_ target: RecoveryTargetDirectory, record: StandbyRecord) throws {
        let restoreCommand = ShellCommandLine.postgresCommand([
            .literal(RunningExecutable.path), "wal", "get", .placeholder("%f"), .placeholder("%p"),
            "--backup-dir", .literal(PointInTimeRestoreOperation.absolute(configuration.backupDirectory)), "--env-file", .literal(record.environmentFile),
            // A failure (corrupt, unreadable, store down) exits 1: the standby asks again instead of stopping.
            "--standby",
        ])
        var settings: [(String, String)] = [
            ("restore_command", restoreCommand), ("recovery_target_timeline", "latest"), ("hot_standby", "on"),
            // Asks the archive again 1 s after finding nothing (default 5 s): the standby trails
            // the primary's archive by little more than archive_timeout, which bounds the RPO.
            ("wal_retrieve_retry_interval", "1s"),
            ("port", "\(record.port)"), ("unix_socket_directories", record.socketDirectory),
        ]
        if !record.archivesAfterPromotion { settings.append(("archive_mode", "off")) }
        var text = "\n# pra standby create, \(RecoveryTarget.format(record.createdAt)): warm standby replaying the archive\n"
        for (key, value) in settings {
            text += "\(key) = \(key == "port" ? value : ShellCommandLine.configurationValue(value))\n"
        }
        try target.append("# written by pra standby create: the base backup held no postgresql.conf\nlisten_addresses = ''\n", to: "postgresql.conf", createOnly: true)
        try target.append("# written by pra standby create: local connections by the same OS user only\nlocal all all peer\n", to: "pg_hba.conf", createOnly: true)
        try target.append(text, to: "postgresql.auto.conf")
        try target.append("", to: "standby.signal", createOnly: true)
    }

    /// Starts the server and waits until it accepts connections in recovery with WAL replayed
    /// (consistent); returns the replayed LSN and the server's WAL segment size. A server that
    /// exits fails with its log's reason.
    func waitUntilReplaying(_ control: ServerControl, record: StandbyRecord, timeout: Double) throws(RestoreStop) -> (lsn: String?, segmentSize: UInt64?) {
        do {
            try control.start(wait: false)
        } catch {
            throw RestoreStop.failed(stage: .start, message: "cannot start the standby: \(error) (server log: \(control.logTail(lines: 3)))")
        }
        let settings: ConnectionSettings
        do {
            settings = try record.connectionSettings(configuration)
        } catch {
            throw RestoreStop.failed(stage: .configuration, message: "\(error)")
        }
        let started = MonotonicClock.now()
        var sawServer = false
        while started.elapsed() < timeout {
            if control.isRunning {
                sawServer = true
            } else if let reason = PointInTimeRestoreOperation.failureReason(in: control.logLines()) ?? ((sawServer || started.elapsed() > 10) ? "the server exited" : nil) {
                throw RestoreStop.failed(stage: .start, message: "the standby stopped: \(reason)\(PointInTimeRestoreOperation.explanation(of: reason)) (server log \(record.serverLog): \(control.logTail(lines: 3)))")
            }
            if let connection = try? PostgresConnection(settings, applicationName: Self.applicationName),
               let row = try? connection.execute("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, pg_size_bytes(current_setting('wal_segment_size'))::text").rows.first {
                guard row.first == "t" else {
                    throw RestoreStop.failed(stage: .start, message: "the server in \(record.dataDirectory) left recovery: it is no standby (server log: \(control.logTail(lines: 3)))")
                }
                if row.count == 3, let lsn = row[1] { return (lsn, row[2].flatMap { UInt64($0) }) }
            }
            usleep(200_000)
        }
        throw RestoreStop.failed(stage: .start, message: "the standby did not reach a consistent state within RECOVERY_TIMEOUT=\(DurationParser.format(timeout)): \(control.logTail(lines: 3))")
    }
}
