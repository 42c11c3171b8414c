import Foundation

/// Reads a standby's state (``StandbyState``): the server (alive, in recovery, replayed LSN and
/// commit time, system identifier) against the WAL archive, local or else off-site (newest segment on the
/// timelines replay follows, a gap before it). Changes nothing.
struct StandbyInspection {
    let configuration: Configuration
    let record: StandbyRecord

    func state(now: Date) -> StandbyState {
        var state = StandbyState(dataDirectory: record.dataDirectory, port: record.port, running: false, promotable: false,
                                 promotedAt: record.promotedAt, level: .critical, checkedAt: now)
        state.rpoTargetSeconds = try? configuration.seconds(.rpoTarget)
        var problems: [String] = []
        let control = (try? record.control()) ?? ServerControl(dataDirectory: record.dataDirectory, logFile: record.serverLog, binDirectory: record.binDirectory, user: nil)
        state.running = control.isRunning
        if let promotedAt = record.promotedAt {
            problems.append("promoted at \(RecoveryTarget.format(promotedAt)): it is the primary now, no standby")
        }
        if state.running {
            readServer(into: &state, problems: &problems)
        } else {
            let reason = PointInTimeRestoreOperation.failureReason(in: control.logLines())
            problems.append("the server is not running" + (reason.map { " (its log's last error: \($0))" } ?? "") + "; start it with pg_ctl -D \(record.dataDirectory) start, or build a new one with pra standby create")
        }
        readArchive(into: &state, problems: &problems, now: now)
        state.promotable = problems.isEmpty
        if !problems.isEmpty {
            state.level = .critical
            state.reason = problems.joined(separator: "; ")
        } else if let lag = state.lagSeconds, let target = state.rpoTargetSeconds, lag > target {
            state.level = .warning
            state.reason = "archived WAL has waited \(DurationParser.format(lag)) to be replayed, more than RPO_TARGET=\(DurationParser.format(target)): the standby fell behind (" + (state.replayPaused == true ? "replay is paused: SELECT pg_wal_replay_resume() on it resumes it)" : "is pra wal get failing? see \(record.serverLog))")
        } else {
            state.level = .ok
        }
        return state
    }

    /// The server's side: in recovery, replayed LSN and commit time, system identifier.
    private func readServer(into state: inout StandbyState, problems: inout [String]) {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection(try record.connectionSettings(configuration), applicationName: StandbyPromotion.applicationName)
        } catch {
            problems.append("cannot connect to it on port \(record.port): \(error)")
            return
        }
        let query = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, extract(epoch FROM pg_last_xact_replay_timestamp())::float8::text, system_identifier::text, pg_get_wal_replay_pause_state() FROM pg_control_system()"
        guard let row = (try? connection.execute(query))?.rows.first, row.count == 5 else {
            problems.append("cannot read its recovery state on port \(record.port)")
            return
        }
        state.inRecovery = row[0] == "t"
        state.replayedLSN = row[1]
        state.lastReplayedCommitAt = row[2].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
        state.systemIdentifier = row[3]
        state.replayPaused = row[0] == "t" ? row[4] != "not paused" : nil
        if row[0] != "t" && record.promotedAt == nil { problems.append("it is not in recovery (promoted outside pra?): no standby") }
        if row[3] != record.systemIdentifier { problems.append("its database system identifier \(row[3] ?? "?") is not the base backup's \(record.systemIdentifier)") }
    }

    /// The archive replay is measured against: its system, files and timeline histories.
    struct ArchiveView {
        let identity: WALArchive.Identity
        let files: [WALArchive.File]
        let continuity: WALContinuity
        let source: String
    }

    /// The archive's side: identity, newest segment, gap, and the lag behind it. The local
    /// archive; without one (the site lost), the off-site copy's listing on `REMOTE_TARGET`.
    private func readArchive(into state: inout StandbyState, problems: inout [String], now: Date) {
        guard let start = WALFileName(record.startSegment) else { return }
        let segmentSize = record.segmentSize
        let local = WALArchive(backupDirectory: configuration.backupDirectory)
        let view: ArchiveView
        if let identity = (try? local.identity()) ?? nil {
            let files = local.files()
            view = ArchiveView(identity: identity, files: files, continuity: WALContinuity(files: files, start: start, segmentSize: segmentSize, history: local.history(of:)),
                               source: "local archive \(local.root)")
        } else {
            switch offSiteArchive(start: start) {
            case .none: return
            case .some(.failure(let problem)):
                state.archiveProblem = problem.message
                return
            case .some(.success(let offSite)): view = offSite
            }
        }
        state.archiveSource = view.source
        let identity = view.identity, continuity = view.continuity
        state.archiveSystemIdentifier = identity.systemIdentifier
        if identity.systemIdentifier != record.systemIdentifier {
            problems.append("the WAL archive (\(view.source)) is of database system \(identity.systemIdentifier), the standby of \(record.systemIdentifier)")
            return
        }
        state.newestArchivedSegment = continuity.newest?.name.text
        state.newestArchivedAt = continuity.newest?.archivedAt
        // The segment holding the last replayed byte: a segment replayed to its end counts as replayed.
        let replayedNumber = state.replayedLSN.flatMap(LogSequenceNumber.init).map { $0.value == 0 ? 0 : ($0.value - 1) / segmentSize }
        // A gap the standby already replayed past costs nothing; one ahead of it stops replay there.
        if let gap = continuity.gap, let gapNumber = gap.segmentNumber(segmentSize: segmentSize), gapNumber > (replayedNumber ?? 0) {
            state.archiveGap = gap.text
            problems.append("WAL segment \(gap.text) is missing from the archive, so the standby cannot replay past it to the newest archived segment \(continuity.newest?.name.text ?? "?"): promoting it loses the commits after the gap")
        }
        guard let replayedNumber, let newest = continuity.newest,
              let newestNumber = newest.name.segmentNumber(segmentSize: segmentSize) else { return }
        let behind = newestNumber > replayedNumber ? newestNumber - replayedNumber : 0
        state.lagSegments = behind
        state.lagBytes = behind * segmentSize
        if behind == 0 {
            state.lagSeconds = 0
        } else {
            // How long the oldest segment not replayed yet has been archived.
            let waiting = view.files.filter { file in
                guard file.name.kind == .segment, continuity.timelines.contains(file.name.timeline),
                      let number = file.name.segmentNumber(segmentSize: segmentSize) else { return false }
                return number > replayedNumber && number <= newestNumber
            }
            let oldest = waiting.map(\.archivedAt).min() ?? newest.archivedAt
            state.lagSeconds = max(0, now.timeIntervalSince(oldest))
        }
    }

    /// The off-site WAL copy's listing (`REMOTE_TARGET/wal/`), each request bounded by
    /// `HEALTH_TIMEOUT`; `nil` without `REMOTE_TARGET` or a copy that names no system.
    private func offSiteArchive(start: WALFileName) -> Result<ArchiveView, OperationFailure>? {
        guard let text = configuration[.remoteTarget] else { return nil }
        let timeout = (try? configuration.seconds(.healthTimeout)) ?? 30
        let scratch = (configuration.backupDirectory as NSString).appendingPathComponent(".pra-standby-offsite-\(getpid())")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do throws(RemoteWALError) {
            let stores = try OffSiteWAL.OffSiteStores(text, configuration: configuration, timeout: timeout)
            try OffSiteWAL.makeScratch(scratch)
            let evaluation = OffSiteWALEvaluation(remote: RemoteWALArchive(store: stores.wal), scratch: scratch)
            guard let identity = try evaluation.identify(local: WALArchive(backupDirectory: configuration.backupDirectory)) else { return nil }
            _ = try evaluation.list(archivedLocally: [])
            let continuity = WALContinuity(files: evaluation.files, start: start, segmentSize: record.segmentSize, history: evaluation.history)
            return .success(ArchiveView(identity: identity, files: evaluation.files, continuity: continuity, source: "off-site \(stores.wal.description)"))
        } catch {
            return .failure(OperationFailure(stage: "standby", message: "cannot list the off-site WAL to measure the lag: \(error)"))
        }
    }
}

