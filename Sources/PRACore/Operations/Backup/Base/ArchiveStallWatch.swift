import Foundation

/// Stops a base backup that can never finish because archiving fails.
///
/// `pg_basebackup --wal-method=none` ends only once the server has archived the WAL the backup
/// needs; while `archive_command` fails, it waits without limit (PostgreSQL retries every
/// minute), so `pra backup --base` would hang until `BACKUP_TIMEOUT`. From its own thread and
/// connection this watch reads `pg_stat_archiver` every second; when the archiver has failed
/// since the backup began and has not archived anything for `patience` seconds
/// (`ARCHIVE_WAIT_TIMEOUT`, the wait `backup --incremental` allows too), it ends the backup's
/// walsender, and ``reason`` says why.
final class ArchiveStallWatch: @unchecked Sendable {
    private let settings: ConnectionSettings
    private let applicationName: String
    private let since: Date
    private let patience: Double
    private let lock = NSLock()
    private var stopped = false
    private var stallReason: String?
    private let done = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - applicationName: the `application_name` of the backup's walsender, to end it.
    ///   - since: when the backup began: older failures do not count.
    init(settings: ConnectionSettings, applicationName: String, since: Date, patience: Double) {
        self.settings = settings
        self.applicationName = applicationName
        self.since = since
        self.patience = patience
    }

    /// Why the backup was stopped, when it was.
    var reason: String? {
        lock.lock()
        defer { lock.unlock() }
        return stallReason
    }

    func start() {
        let thread = Thread { [self] in
            watch()
            done.signal()
        }
        thread.start()
    }

    /// Stops watching and waits for the thread.
    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        done.wait()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func watch() {
        var connection: PostgresConnection?
        var failingSince: MonotonicClock?
        while !isStopped {
            usleep(1_000_000)
            if isStopped { return }
            do {
                if connection == nil { connection = try PostgresConnection(settings, applicationName: applicationName + "-watch") }
                guard let connection else { continue }
                let statistics = try ArchiverStatistics.read(connection)
                guard statistics.isFailing, let failedAt = statistics.lastFailedAt, failedAt >= since else {
                    failingSince = nil
                    continue
                }
                let clock = failingSince ?? MonotonicClock.now()
                failingSince = clock
                guard clock.elapsed() >= patience else { continue }
                let stamp = ISO8601DateFormatter().string(from: failedAt)
                let reason = "archive_command has been failing for \(Int(clock.elapsed())) s, ARCHIVE_WAIT_TIMEOUT=\(DurationParser.format(patience)) (last failure on \(statistics.lastFailedWAL ?? "?") at \(stamp); the server log says why), and a base backup cannot complete until the WAL it needs is archived: stopped it. Fix archiving (pra status shows it), then back up again"
                lock.lock()
                stallReason = reason
                lock.unlock()
                _ = try connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'walsender' AND application_name = $1", [applicationName])
                return
            } catch {
                // The watch never fails the backup itself; a lost session is opened again.
                connection = nil
            }
        }
    }
}
