import PRACore

/// SIGKILL of the postmaster, as a crash. Stays crashed until a start-server fault.
struct CrashServerFault: FaultInjector {
    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let pid = context.cluster.postmasterPID
        context.cluster.crash()
        return "killed the postmaster (pid \(pid.map(String.init) ?? "?")) with SIGKILL"
    }
}
