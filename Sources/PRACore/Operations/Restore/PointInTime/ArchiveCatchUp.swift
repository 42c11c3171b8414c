import Foundation

/// Before a point-in-time recovery to a moment the WAL archive may not reach yet: when the
/// configured server is reachable and archives into this archive, switches its WAL and waits
/// until the switched segment is archived (``IncrementalBackupOperation``, what `pra backup
/// --incremental` does), so that recovery finds the commits made up to now, including the
/// first one after the target that recovery needs to stop. Without it, undoing a bad
/// transaction from seconds ago fails whenever its commit still sits in the server's open segment.
struct ArchiveCatchUp {
    let configuration: Configuration
    /// WAL archived this long after the target may still have been switched before the first
    /// commit after it (a segment is archived a moment after its switch).
    static let margin: TimeInterval = 10
    /// The catch-up waits at most this long for the archiver (or ARCHIVE_WAIT_TIMEOUT when
    /// shorter): a failing archiver must not hold the recovery for ARCHIVE_WAIT_TIMEOUT's 5 minutes.
    static let longestWait: TimeInterval = 60

    /// Whether the target time lies beyond the archive (or within ``margin`` of its newest segment).
    static func isNeeded(for target: RecoveryTarget, newestArchivedAt: Date?) -> Bool {
        guard case .time(let date) = target else { return false }
        guard let newestArchivedAt else { return true }
        return date >= newestArchivedAt.addingTimeInterval(-margin)
    }

    /// Switches WAL on the configured server and waits for the segment; returns the line that
    /// says what happened (a restore check that never fails the restore: when the server cannot
    /// be reached, recovery goes on with the archive as it is, as after losing the server).
    func run() -> RestoreResult.Check {
        var configuration = self.configuration
        let wait = min((try? configuration.seconds(.archiveWaitTimeout)) ?? Self.longestWait, Self.longestWait)
        configuration.set(.archiveWaitTimeout, "\(wait)")
        do {
            let switched = try IncrementalBackupOperation(configuration: configuration).run()
            return .init(.archiveCaughtUp, passed: true,
                         message: "the target lies beyond the archived WAL: switched WAL on the server (pg_switch_wal) and waited until segment \(switched.segment) was archived (\(DurationParser.format(switched.seconds))) before recovering")
        } catch {
            return .init(.archiveCaughtUp, passed: true,
                         message: "the target lies beyond the archived WAL and the server's WAL could not be switched and archived first (\(error.message)); recovering from the archive as it is")
        }
    }
}
