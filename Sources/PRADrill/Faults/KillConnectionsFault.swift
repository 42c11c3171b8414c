import Foundation
import PRACore

/// Terminates the backends serving a running backup or restore (`pg_terminate_backend`),
/// found by the application_name `pra` gives its sessions. Waits for them to be busy.
struct KillConnectionsFault: FaultInjector {
    var timeout: Double = 120

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let applicationName = step.kind == "restore" ? RestoreOperation.applicationName : BackupOperation.applicationName
        let connection = try context.adminConnection()
        let started = MonotonicClock.now()
        // The trigger may fire just before the child starts: give it a moment to appear.
        while started.elapsed() < timeout && (context.isStepRunning || started.elapsed() < 2) {
            let killed = try connection.scalar("""
                SELECT string_agg(pid::text, ',') FROM (
                  SELECT pid, pg_terminate_backend(pid) AS done FROM pg_stat_activity
                  WHERE application_name = $1 AND state = 'active' AND pid <> pg_backend_pid()) AS terminated
                WHERE done
                """, [applicationName])
            if let killed, !killed.isEmpty {
                return "terminated \(applicationName) backend(s) \(killed)"
            }
            usleep(2000)
        }
        throw FaultError(description: "no active \(applicationName) session was found while the step ran")
    }
}
