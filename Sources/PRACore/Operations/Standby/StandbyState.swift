import Foundation

/// How a warm standby stands against the primary's WAL archive: whether it runs and replays,
/// how far behind the newest archived segment it is, and whether it can be promoted (with the
/// reason when not). Read by ``StandbyPromotion/inspect()``; changes nothing.
public struct StandbyState: Codable, Sendable, Equatable {
    public enum Level: String, Codable, Sendable {
        case ok = "OK", warning = "WARNING", critical = "CRITICAL"

        /// `pra status`'s exit codes: 0 OK, 1 CRITICAL, 2 WARNING.
        public var exitCode: Int32 {
            switch self {
            case .ok: return 0
            case .critical: return 1
            case .warning: return 2
            }
        }
    }

    public var dataDirectory: String
    public var port: Int
    /// The postmaster is alive.
    public var running: Bool
    /// `pg_is_in_recovery()`; `nil` when it could not be asked.
    public var inRecovery: Bool?
    /// `pg_last_wal_replay_lsn()` and `pg_last_xact_replay_timestamp()` (the last replayed commit).
    public var replayedLSN: String?
    public var lastReplayedCommitAt: Date?
    /// Replay paused (`pg_wal_replay_pause()`); `nil` when not asked.
    public var replayPaused: Bool?
    /// The standby's database system identifier (`pg_control_system()`).
    public var systemIdentifier: String?
    /// The archive the lag is measured against: the local one, else the off-site copy's listing.
    public var archiveSource: String?
    /// Why the archive could not be read (the lag is then unknown, not a level).
    public var archiveProblem: String?
    /// The primary's, from the WAL archive (``WALArchive/Identity``); `nil`: no archive read.
    public var archiveSystemIdentifier: String?
    /// The newest segment in the archive (on the timelines replay follows) and when it was archived.
    public var newestArchivedSegment: String?
    public var newestArchivedAt: Date?
    /// The first segment missing before the newest: replay cannot pass it.
    public var archiveGap: String?
    /// Archived segments not yet replayed, as segments and bytes (whole segments).
    public var lagSegments: UInt64?
    public var lagBytes: UInt64?
    /// How long the oldest archived-but-unreplayed segment has been in the archive (0 when caught up).
    public var lagSeconds: Double?
    /// Running, in recovery, of the archive's database system, no gap in the archive.
    public var promotable: Bool
    /// Why it is not promotable, or the lag that makes it a warning.
    public var reason: String?
    /// The lag bound: `RPO_TARGET`, seconds.
    public var rpoTargetSeconds: Double?
    /// When the standby was promoted (then it is no standby any more).
    public var promotedAt: Date?
    public var level: Level
    public var checkedAt: Date

    /// One line: what an operator reads first.
    public var headline: String {
        var line = "standby \(dataDirectory) (port \(port)): \(level.rawValue)"
        if promotable, let lagSeconds, let lagSegments {
            line += lagSegments == 0 ? ", caught up with the archive" : ", \(lagSegments) archived segment\(lagSegments == 1 ? "" : "s") behind (\(DurationParser.format(lagSeconds)))"
        }
        line += promotable ? ", promotable" : ", not promotable"
        if let reason { line += ": \(reason)" }
        return line
    }

    /// The report `pra standby status` prints.
    public var text: String {
        var lines = [headline]
        func add(_ name: String, _ value: String?) { lines.append("  \(name): \(value ?? "unknown")") }
        add("running", running ? "yes" : "no")
        add("in recovery", inRecovery.map { ($0 ? "yes" : "no") + (replayPaused == true ? " (replay paused)" : "") })
        add("replayed LSN", replayedLSN)
        add("last replayed commit", lastReplayedCommitAt.map(RecoveryTarget.format))
        add("newest archived segment", newestArchivedSegment.map { name in name + (newestArchivedAt.map { " (archived \(RecoveryTarget.format($0)))" } ?? "") })
        add("replay lag", lagSegments.map { "\($0) segment\($0 == 1 ? "" : "s"), \(lagBytes ?? 0) bytes, \(DurationParser.format(lagSeconds ?? 0))" + (rpoTargetSeconds.map { " (RPO_TARGET \(DurationParser.format($0)))" } ?? "") })
        add("system identifier", systemIdentifier.map { own in own + (archiveSystemIdentifier.map { $0 == own ? " (same as the archive)" : " (archive: \($0))" } ?? "") })
        add("archive", archiveSource ?? archiveProblem ?? "none (no local archive, no REMOTE_TARGET): lag not measured")
        if let archiveGap { lines.append("  archive gap: segment \(archiveGap) is missing") }
        return lines.joined(separator: "\n") + "\n"
    }
}
