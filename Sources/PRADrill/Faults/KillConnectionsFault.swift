import Foundation
import PRACore

/// Terminates the backends serving a running backup or restore (`pg_terminate_backend`),
/// found by the application_name `pra` gives its sessions. Waits for them to be busy.
struct KillConnectionsFault: FaultKind {
    static let name = "kill-connections"
    static let summary = "Terminates (pg_terminate_backend) the active backends of the running pra backup or pra restore, found by their application_name. Waits for such a session to be active while the step runs."
    static let allowedSteps: [StepKind] = [.backup, .restore]
    static let timing = FaultTiming.duringStep
    static let undo = FaultUndo.nothing

    /// How long it looks for an active session.
    var timeout: Double = 120

    init() {}

    init(_ parameters: FaultParameterReader) {}

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let applicationName = step.kind == .restore ? RestoreOperation.applicationName : BackupOperation.applicationName
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
