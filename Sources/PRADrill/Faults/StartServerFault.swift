import PRACore

/// Starts the server again after crash-server or stop-server (crash recovery runs).
struct StartServerFault: FaultInjector {
    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        try context.cluster.start()
        return "started the server"
    }
}
