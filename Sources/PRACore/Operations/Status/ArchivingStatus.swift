import Foundation

/// The WAL-archiving part of `pra status`: is the archiver succeeding, is the newest archived
/// segment recent enough for the RPO target, where does the recoverable window end.
/// Silent for a logical-only setup (archiving off on the server and no WAL archive).
struct ArchivingStatus {
    /// The server to ask; `nil` when it was found unreachable (only the archive is judged).
    let settings: ConnectionSettings?
    let backupDirectory: String
    let rpoTarget: Double

    struct Outcome {
        var checks: [StatusReport.Check] = []
        var figures: [StatusReport.Measurement: Double] = [:]
    }

    func evaluate(now: Date) -> Outcome {
        var outcome = Outcome()
        let archive = WALArchive(backupDirectory: backupDirectory)
        let hasArchive = (try? archive.identity()) != nil
        let server = settings.flatMap { try? ArchivingServer(settings: $0, applicationName: StatusOperation.applicationName) }
        guard hasArchive || server?.isArchiving == true else { return outcome }

        if let server {
            if !server.isArchiving {
                outcome.checks.append(.init(.archiving, level: .critical, message: "the server no longer archives its WAL (archive_mode=\(server.archiveMode)) although \(archive.root) holds a WAL archive: point-in-time recovery stops at the last archived segment"))
                outcome.figures[.archiverFailing] = 1
            } else if let archiver = try? server.archiverStatistics() {
                outcome.figures[.archiverFailing] = archiver.isFailing ? 1 : 0
                if archiver.isFailing {
                    let success = archiver.lastArchivedAt.map { "; the last success was \(archiver.lastArchivedWAL ?? "?") \(DurationParser.format(now.timeIntervalSince($0))) ago" } ?? "; nothing archived since the server started"
                    outcome.checks.append(.init(.archiving, level: .critical, message: "archive_command is failing: \(archiver.failedCount) failure(s), the last on \(archiver.lastFailedWAL ?? "?") \(archiver.lastFailedAt.map { DurationParser.format(now.timeIntervalSince($0)) } ?? "?") ago\(success). WAL piles up in pg_wal until it is fixed; see the server log", value: Double(archiver.failedCount)))
                } else {
                    outcome.checks.append(.init(.archiving, level: .ok, message: "archiver OK: \(archiver.archivedCount) archived since the server started" + (archiver.lastArchivedWAL.map { ", last \($0)" } ?? ""), value: Double(archiver.failedCount)))
                }
            }
        }

        let segments = archive.files().filter { $0.name.kind == .segment }
        guard let newest = segments.max(by: { $0.archivedAt < $1.archivedAt }) else {
            outcome.checks.append(.init(.walAge, level: .critical, message: "no WAL segment archived in \(archive.root) yet"))
            return outcome
        }
        let age = now.timeIntervalSince(newest.archivedAt)
        outcome.figures[.walArchiveAgeSeconds] = age
        outcome.figures[.walArchivedAt] = newest.archivedAt.timeIntervalSince1970
        // An idle server writes no WAL, so no new segment is due: nothing unarchived is at risk.
        let current = (try? server?.connection.scalar("SELECT pg_walfile_name(pg_current_wal_lsn())")).flatMap { $0 }.flatMap(WALFileName.init)
        let caughtUp = current.map { $0 <= newest.name } ?? false
        let overTarget = age > rpoTarget && !caughtUp
        outcome.checks.append(.init(.walAge, level: overTarget ? .critical : .ok, message: overTarget
            ? "newest archived WAL segment \(newest.name.text) is \(DurationParser.format(age)) old, over the RPO target of \(DurationParser.format(rpoTarget))"
            : "newest archived WAL segment \(newest.name.text) is \(DurationParser.format(age)) old" + (caughtUp && age > rpoTarget ? " (the server has written nothing since)" : " (RPO target \(DurationParser.format(rpoTarget)))"), value: age))

        let computed = RecoverableWindow.compute(directory: backupDirectory)
        if let window = computed.window {
            outcome.figures[.recoverableFrom] = window.from.timeIntervalSince1970
            outcome.figures[.recoverableTo] = window.to.timeIntervalSince1970
            let gap = computed.problems.first { $0.contains("is missing") }
            outcome.checks.append(.init(.recoverable, level: gap == nil ? .ok : .critical, message: gap.map { "\($0); \(window.sentence)" } ?? window.sentence))
        } else if BaseBackupCatalogue(directory: backupDirectory).complete.isEmpty {
            outcome.checks.append(.init(.recoverable, level: .warning, message: "no base backup in \(backupDirectory): the archived WAL alone cannot be restored (run pra backup --base)"))
        } else {
            outcome.checks.append(.init(.recoverable, level: .critical, message: "no base backup can be restored: " + computed.problems.joined(separator: "; ")))
        }
        return outcome
    }
}
