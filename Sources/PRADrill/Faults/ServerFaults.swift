import PRACore

/// SIGKILL of the postmaster, as a crash. Stays crashed until a start-server fault.
struct CrashServerFault: FaultInjector {
    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let pid = context.cluster.postmasterPID
        context.cluster.crash()
        return "killed the postmaster (pid \(pid.map(String.init) ?? "?")) with SIGKILL"
    }
}

/// A clean (fast) shutdown of the server.
struct StopServerFault: FaultInjector {
    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        try context.cluster.stop(.fast)
        return "stopped the server (fast)"
    }
}

/// Starts the server again after crash-server or stop-server (crash recovery runs).
struct StartServerFault: FaultInjector {
    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        try context.cluster.start()
        return "started the server"
    }
}
