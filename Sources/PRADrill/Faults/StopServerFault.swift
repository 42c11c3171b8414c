import PRACore

/// A clean (fast) shutdown of the server.
struct StopServerFault: FaultKind {
    static let name = "stop-server"
    static let summary = "Clean, fast shutdown of the server."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.byLaterFault(StartServerFault.name)

    init() {}

    init(_ parameters: FaultParameterReader) {}

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        try context.cluster.stop(.fast)
        return "stopped the server (fast)"
    }
}
