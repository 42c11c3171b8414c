import Foundation

extension PointInTimeRestoreOperation {
    /// What every recovery attempt works with.
    struct RecoveryContext {
        let request: Request
        let setup: Setup
        /// The prepared target directory.
        let target: RecoveryTargetDirectory
        let archive: WALArchive
        let identity: WALArchive.Identity?
        /// restore_command's env file.
        let envFile: String
    }

    /// Recovers from the newest base backup that verifies. A restore point (--target-name) is
    /// not indexed by time: when recovery from the newest base backup ends before reaching it,
    /// the point is older, and the next older base backup is tried. `backup` is the file name
    /// of the base backup used, for the evidence log.
    func recover(_ context: RecoveryContext, from sources: inout PointInTimeBaseBackupSources, run: inout RestoreRun, backup: inout String?) throws(RestoreStop) -> RecoveryAttempt {
        while true {
            let chosen = try nextVerifiedBackup(&sources, context: context, run: &run)
            let origins = recordSources(chosen, remote: context.setup.remote, backupDirectory: context.setup.backupDirectory, into: &run.result)
            backup = chosen.fileName
            run.result.archiveHasManifest = true
            run.result.backupFinishedAt = chosen.manifest.finishedAt
            run.begin(.recover)
            if let attempt = try startRecovery(chosen, origins: origins, context: context, sources: &sources, run: &run) { return attempt }
        }
    }

    /// Extracts the next base backup into the target directory, verifying it in the same pass,
    /// then checks it with pg_verifybackup; one that fails is listed as skipped and the next
    /// older one is tried. An off-site copy: its manifests downloaded into a private directory
    /// in BACKUP_DIR (removed once pg_verifybackup checked the copy), its archive streamed from
    /// the store into the same verification and extraction as a local one. An incremental (local
    /// or off-site) is restored through its chain (``restoreChain(_:context:broken:run:)``).
    func nextVerifiedBackup(_ sources: inout PointInTimeBaseBackupSources, context: RecoveryContext, run: inout RestoreRun) throws(RestoreStop) -> PointInTimeBaseBackupSources.Candidate {
        let setup = context.setup, directory = setup.directory
        // Chain links whose archive failed verification: an older candidate holding one is not read again.
        var brokenLinks: [String: String] = [:]
        while let candidate = sources.next() {
            let name = candidate.fileName
            if candidate.manifest.isIncremental {
                switch candidate {
                case .local(let entry): if try restoreChain(entry, context: context, broken: &brokenLinks, run: &run) { return candidate }
                case .remote(let copy): if try restoreOffSiteChain(copy, context: context, broken: &brokenLinks, run: &run) { return candidate }
                }
                continue
            }
            let fetched: (entry: BaseBackupCatalogue.Entry, directory: String?, stream: RemoteArchiveStream?)
            switch candidate {
            case .local(let entry):
                fetched = (entry, nil, nil)
            case .remote(let copy):
                run.begin(.fetchOffSite)
                do {
                    let offSite = try fetchOffSite(copy, with: setup.remote!, backupDirectory: setup.backupDirectory)
                    fetched = (offSite.entry, offSite.directory, offSite.stream)
                } catch {
                    run.result.skippedBackups.append("off-site \(name) could not be fetched: \(error)")
                    continue
                }
            }
            defer { if let directory = fetched.directory { try? FileManager.default.removeItem(atPath: directory) } }
            let entry = fetched.entry
            run.begin(.extract)
            context.target.clear()
            let verdict: VerificationResult
            do {
                verdict = try extract(entry, into: directory, as: setup.user, archive: fetched.stream?.handle)
            } catch {
                _ = fetched.stream?.finish()
                throw RestoreStop.failed(stage: .extract, message: "cannot extract \(name) into \(directory): \(error)")
            }
            let transferFailure = fetched.stream?.finish()
            if fetched.directory == nil { VerificationRecord.save(verdict) }
            let origin = fetched.directory == nil ? "" : "off-site "
            if !verdict.valid, let transferFailure {
                // A download that broke is not a damaged backup: said as what it is.
                run.result.skippedBackups.append("off-site \(name) could not be fetched: \(transferFailure)")
                continue
            }
            guard verdict.valid else {
                run.result.skippedBackups.append("\(origin)\(name) failed verification (\(verdict.problems.map(\.message).joined(separator: "; ")))")
                continue
            }
            guard passesPgVerifyBackup(entry, label: "\(origin)\(name)", setup: setup, contentChecked: verdict.postgresChecksumsMatched, run: &run) else { continue }
            return candidate
        }
        throw RestoreStop.failed(stage: .verify, message: "no base backup for \(context.request.target) verifies: \((run.result.skippedBackups + sources.problems).joined(separator: "; "))")
    }

    /// pg_verifybackup on the extracted (or assembled) tree with the backup's own
    /// `backup_manifest`; a failure is listed as a skipped backup. `contentChecked`: the
    /// extraction already matched every file's CRC-32C against that manifest as it streamed
    /// (``BaseBackupVerifier``), so pg_verifybackup checks the tree's files, sizes and the
    /// manifest's own checksum without reading every byte again (`--skip-checksums`).
    func passesPgVerifyBackup(_ entry: BaseBackupCatalogue.Entry, label: String, setup: Setup, contentChecked: Bool = false, run: inout RestoreRun) -> Bool {
        run.begin(.verify)
        let arguments = ["--no-parse-wal", "--quiet"] + (contentChecked ? ["--skip-checksums"] : []) + ["--manifest-path=\(entry.postgresManifestPath)", setup.directory]
        let check = ExternalProcess(executable: setup.verifyTool, arguments: arguments, timeout: 3600)
        if let outcome = try? check.run(), !outcome.succeeded {
            run.result.skippedBackups.append("\(label) failed pg_verifybackup (\(outcome.standardError.split(separator: "\n").prefix(3).joined(separator: "; ")))")
            return false
        }
        return true
    }

    /// Configures recovery in the extracted backup, starts the server and waits until recovery
    /// paused at the target or promoted. `nil`: recovery from it ended before the restore point
    /// (--target-name), and an older base backup is left to try.
    func startRecovery(_ chosen: PointInTimeBaseBackupSources.Candidate, origins: (base: String, wal: String), context: RecoveryContext, sources: inout PointInTimeBaseBackupSources, run: inout RestoreRun) throws(RestoreStop) -> RecoveryAttempt? {
        let request = context.request, setup = context.setup, directory = setup.directory, manifest = chosen.manifest
        let port = request.port ?? LoopbackSocket.freePort() ?? 5433
        let socketDirectory: String
        do {
            socketDirectory = try Self.socketDirectory(for: directory, port: port, user: setup.user)
        } catch {
            throw RestoreStop.failed(stage: .recover, message: "\(error)")
        }
        let logFile = (directory as NSString).appendingPathComponent(Self.serverLogName)
        let control = ServerControl(dataDirectory: directory, logFile: logFile, binDirectory: setup.binDirectory, user: setup.user)
        let details = PointInTimeDetails(target: request.target.description, dataDirectory: directory, port: port, socketDirectory: socketDirectory,
                                         baseBackup: manifest.archive, serverRunning: false, serverLog: logFile,
                                         baseBackupSource: origins.base, walSource: origins.wal)
        do {
            try configureRecovery(context.target, recoveryTarget: request.target, port: port, socketDirectory: socketDirectory, keepArchiving: request.keepArchiving, envFile: context.envFile)
        } catch {
            throw RestoreStop.failed(stage: .recover, message: "cannot prepare \(directory) for recovery: \(error)")
        }
        // What recovery should replay: the archive as it is now (the source may keep archiving meanwhile).
        let segmentSize = context.identity?.segmentSize ?? 16 << 20
        let archivedBefore = WALContinuity(files: context.archive.files(), start: WALFileName(manifest.startSegment)!, segmentSize: segmentSize, history: context.archive.history(of:))
        let serverSettings = ConnectionSettings(parameters: setup.settings.libpqParameters.merging(["host": socketDirectory, "port": "\(port)", "dbname": setup.database]) { $1 }.filter { $0.key != "hostaddr" && $0.key != "service" })
        do {
            let (recovered, paused) = try waitForRecovery(control, settings: serverSettings, timeout: setup.recoveryTimeout)
            return RecoveryAttempt(manifest: manifest, control: control, details: details, recovered: recovered, paused: paused, archivedBefore: archivedBefore, segmentSize: segmentSize, port: port)
        } catch let failure as RecoveryFailure {
            try? control.stop(mode: "immediate")
            if failure.targetNotReached, case .name(let point) = request.target {
                run.result.skippedBackups.append("\(chosen.fileName): recovery from it ended before reaching the restore point \(point), which must be older")
                if sources.hasMore() { return nil }
                throw RestoreStop.failed(stage: .recover, message: "recovery ended before reaching the restore point \(point) from every base backup tried (\(run.result.skippedBackups.count)): check its name (pg_create_restore_point) and that a base backup older than it is kept (server log: \(control.logTail(lines: 3)))")
            }
            throw RestoreStop.failed(stage: .recover, message: explain(failure, target: request.target, control: control, archivedBefore: archivedBefore, segmentSize: segmentSize) + " (server log: \(control.logTail(lines: 3)))")
        } catch {
            try? control.stop(mode: "immediate")
            throw RestoreStop.failed(stage: .recover, message: "\(error)")
        }
    }

    /// Why recovery did not reach the target, from the archive as recovery found it: what it
    /// lacked (a missing segment, or one `pra wal get` refused) is what stopped it.
    func explain(_ failure: RecoveryFailure, target: RecoveryTarget, control: ServerControl, archivedBefore continuity: WALContinuity, segmentSize: UInt64) -> String {
        guard failure.targetNotReached else { return failure.message }
        let missing = continuity.gap ?? continuity.lastContiguous.flatMap { last in
            last.name.segmentNumber(segmentSize: segmentSize).map { WALFileName(timeline: last.name.timeline, segmentNumber: $0 + 1, segmentSize: segmentSize) }
        }
        let latest = Self.lastReplayedTime(in: control.logLines()) ?? continuity.lastContiguous?.archivedAt
        let reachable = latest.map { "; the latest point it can reach is about \(RecoveryTarget.format($0)) (rerun with --target-time at or before it, or without a target)" } ?? ""
        let redoDone = Self.value(after: "redo done at ", in: control.logLines()).flatMap { LogSequenceNumber(String($0.prefix { !$0.isWhitespace })) }
        if let unrestorable = UnrestorableSegment.name(in: control.logLines())
            ?? UnrestorableSegment.stoppedBefore(redoDone: redoDone, lastContiguous: continuity.lastContiguous?.name, segmentSize: segmentSize)?.text {
            return "the WAL needed to reach \(target) could not be replayed: archived segment \(unrestorable) is corrupt or unreadable (pra wal get refused it; its line in the server log says why)\(reachable)"
        }
        return "the WAL needed to reach \(target) is not in the archive: segment \(missing?.text ?? "?") is missing\(reachable)"
    }

    /// Where recovery stopped (the last replayed commit and LSN) and the server's stop command.
    func reachedPoint(_ attempt: RecoveryAttempt) -> PointInTimeDetails {
        let control = attempt.control, recovered = attempt.recovered
        var details = attempt.details
        details.serverRunning = true
        details.stopCommand = control.stopCommandLine
        details.reachedTime = (try? recovered.scalar("SELECT extract(epoch FROM pg_last_xact_replay_timestamp())::float8")).flatMap { $0 }.flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
            ?? Self.lastReplayedTime(in: control.logLines())
        details.reachedLSN = attempt.paused
            ? (try? recovered.scalar("SELECT pg_last_wal_replay_lsn()::text")).flatMap { $0 }
            : Self.value(after: "redo done at ", in: control.logLines()).map { String($0.prefix { !$0.isWhitespace }) }
        return details
    }

    /// Checks the data while recovery is paused at the target (a copy that fails its checks is
    /// never promoted: it could not be resumed to another point after that), then promotes.
    /// Returns the recovered server's details.
    func checkThenPromote(_ attempt: RecoveryAttempt, context: RecoveryContext, run: inout RestoreRun) throws(RestoreStop) -> PointInTimeDetails {
        let control = attempt.control
        var details = reachedPoint(attempt)
        run.begin(.check)
        var dataChecks = [targetCheck(context.request.target, reached: details.reachedTime, reachedLSN: details.reachedLSN.flatMap(LogSequenceNumber.init), manifest: attempt.manifest, continuity: attempt.archivedBefore, segmentSize: attempt.segmentSize)]
        if let critical = CriticalTables(configuration.list(.criticalTables)).check(in: attempt.recovered, database: context.setup.database) { dataChecks.append(critical) }
        if attempt.paused {
            let failed = dataChecks.filter { !$0.passed }
            guard failed.isEmpty else {
                run.result.checks += dataChecks
                try? control.stop(mode: "immediate")
                throw RestoreStop.failed(stage: .check, message: "recovery paused at the target and was not promoted, since a check failed: " + failed.map { "\($0.name): \($0.message)" }.joined(separator: "; "))
            }
            do {
                try promote(attempt.recovered, control: control, timeout: context.setup.recoveryTimeout)
            } catch {
                try? control.stop(mode: "immediate")
                throw RestoreStop.failed(stage: .recover, message: "\(error)")
            }
        }
        details.timeline = Self.value(after: "selected new timeline ID: ", in: control.logLines()).flatMap { UInt32($0.prefix { $0.isNumber }) }
        run.result.checks.append(.init(.server, passed: true, message: "recovery finished and the server accepts writes on port \(attempt.port)" + (details.timeline.map { ", timeline \($0)" } ?? "")))
        run.result.checks += dataChecks
        return details
    }
}
