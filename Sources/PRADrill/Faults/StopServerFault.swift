import PRACore

/// A clean (fast) shutdown of the server.
struct StopServerFault: FaultInjector {
    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        try context.cluster.stop(.fast)
        return "stopped the server (fast)"
    }
}
