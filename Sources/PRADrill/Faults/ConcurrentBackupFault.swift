import Foundation
import PRACore

/// Starts a second `pra backup --full` in the same backup directory while the step's backup is
/// running, as cron does when the next run starts during a long one.
///
/// To make the overlap certain rather than a race with a fast backup, it first holds an
/// ACCESS EXCLUSIVE lock on one table of the scenario's database: the step's `pg_dump` waits
/// for it (holding the backup directory's lock meanwhile), the second backup is started and
/// must be refused, then the table lock is released and the first backup finishes.
struct ConcurrentBackupFault: FaultKind {
    static let name = "concurrent-backup"
    static let summary = "Holds one table locked so the step's backup stalls mid-dump, starts a second `pra backup --full` in the same backup directory (cron starting the next run during a long one), then lets the first go on. The directory lock must refuse the second backup (exit 1, \"another backup is already running\"); the fault fails when it is not refused. The step's own expectations say what must happen to the running backup."
    static let allowedSteps: [StepKind] = [.backup]
    static let timing = FaultTiming.duringStep
    static let undo = FaultUndo.nothing

    /// How long it waits for the running backup's session, and for the second backup's answer
    /// (a refusal takes well under a second; a second backup that is not refused waits on the
    /// same table lock).
    var timeout: Double = 60

    init(_ parameters: FaultParameterReader) {}

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let database = try PostgresConnection(context.cluster.connectionSettings.with(database: context.database), applicationName: "pra-drill")
        _ = try database.execute("SET lock_timeout = '10s'")
        guard let table = try database.scalar("""
            SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
            WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename NOT LIKE '%heartbeat%'
            ORDER BY 1 LIMIT 1
            """) else {
            throw FaultError(description: "the database \(context.database) has no table to hold locked")
        }
        _ = try database.execute("BEGIN")
        defer { _ = try? database.execute("ROLLBACK") }
        do {
            _ = try database.execute("LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE")
        } catch {
            throw FaultError(description: "could not lock \(table) before the backup did (\(error.message)); the overlap cannot be staged")
        }
        let admin = try context.adminConnection()
        let started = MonotonicClock.now()
        while started.elapsed() < timeout {
            let waiting = try admin.scalar("SELECT count(*)::text FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [BackupOperation.applicationName])
            if let waiting, waiting != "0" { break }
            // The step may not have started yet on a loaded machine (four scenarios at once on two cores): give it 10 s.
            guard context.isStepRunning || started.elapsed() < 10 else {
                throw FaultError(description: "the backup ended before it reached the locked table \(table)")
            }
            usleep(2000)
        }
        let second: PraChild.Result
        do {
            second = try PraChild(executable: context.praExecutable).run(["backup", "--full", "--quiet"], environment: context.environment, timeout: timeout)
        } catch {
            throw FaultError(description: "the second backup was not refused: it was still running after \(DurationParser.format(timeout)) (\(error)), so two backups worked in one directory at once")
        }
        let said = second.errorLine ?? "no error line"
        guard second.exitCode != 0 else {
            throw FaultError(description: "the second backup was not refused: it exited 0 while the first was running, so two backups wrote to one directory at once")
        }
        guard said.contains("another backup is already running") else {
            throw FaultError(description: "the second backup failed, but not because the directory is locked: exit \(second.exitCode), \(said)")
        }
        return "held \(table) locked so the running backup waited; a second pra backup started then was refused (exit \(second.exitCode)): \(said)"
    }
}
