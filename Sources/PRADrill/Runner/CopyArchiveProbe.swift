import Foundation
import PRACore

/// Whether a copy recovered by `pra restore --pitr` sent its own timeline into the scenario's WAL
/// archive (`BACKUP_DIR/wal`): its timeline history file or a segment of its timeline.
///
/// An idle copy writes almost no WAL, and `archive_timeout` switches a segment only after WAL was
/// written, so left alone such a copy may archive nothing of its timeline but its `.history` file
/// before the scenario ends. Recovery to the latest point then falls back to production's
/// segments of the older timeline and loses nothing: an RPO bound cannot tell. So the probe
/// switches the copy's WAL itself and, when the copy archives at all (`archive_mode` is not
/// `off`), waits until its archiver has handed that segment over (`pg_stat_archiver`) before
/// looking in the archive. A copy that does not archive is judged at once: nothing can arrive.
struct CopyArchiveProbe {
    /// The recovered server.
    let recovered: ConnectionSettings
    /// The scenario's backup directory (its WAL archive is `wal/` in it).
    let backupDirectory: String
    /// How long the copy's archiver may take to archive the switched segment.
    var patience: Double = 30

    /// What the probe found.
    struct Finding {
        /// The copy's timeline.
        var timeline: UInt32
        /// The copy's `archive_mode`.
        var archiveMode: String
        /// Archived files of the copy's timeline (history file and segments), by name.
        var archived: [String]
        /// How the copy's archiver ended the wait, for the message.
        var archiver: String
    }

    func run() throws -> Finding {
        let connection = try PostgresConnection(recovered, applicationName: "pra-drill")
        guard let timelineText = try connection.scalar("SELECT timeline_id FROM pg_control_checkpoint()"), let timeline = UInt32(timelineText) else {
            throw ProbeError(description: "cannot read the recovered server's timeline")
        }
        let mode = try connection.scalar("SHOW archive_mode") ?? "?"
        var archiver = "archive_mode = \(mode): the copy's archiver does not run"
        if mode != "off" {
            // A segment the copy completed: archived within moments by an archiving copy.
            let switched = try connection.scalar("SELECT pg_walfile_name(pg_switch_wal())") ?? ""
            let clock = MonotonicClock.now()
            archiver = "archive_mode = \(mode): its archiver did not archive \(switched) within \(DurationParser.format(patience))"
            while clock.elapsed() < patience {
                let last = try connection.scalar("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") ?? ""
                if !switched.isEmpty, last >= switched, last.prefix(8) == switched.prefix(8) {
                    archiver = "archive_mode = \(mode): its archiver archived \(last) (switched by the drill)"
                    break
                }
                let failed = try connection.scalar("SELECT coalesce(last_failed_wal, '') FROM pg_stat_archiver") ?? ""
                if !failed.isEmpty, failed.prefix(8) == switched.prefix(8), failed >= switched {
                    archiver = "archive_mode = \(mode): its archiver failed on \(failed)"
                    break
                }
                usleep(100_000)
            }
        }
        let archived = WALArchive(backupDirectory: backupDirectory).files().filter { $0.name.timeline == timeline }.map(\.name.text)
        return Finding(timeline: timeline, archiveMode: mode, archived: archived, archiver: archiver)
    }

    struct ProbeError: Error, CustomStringConvertible {
        let description: String
    }
}
