import PRACore

/// Starts the server again after crash-server or stop-server (crash recovery runs).
struct StartServerFault: FaultKind {
    static let name = "start-server"
    static let summary = "Starts the server again (crash recovery runs after crash-server)."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.nothing

    init() {}

    init(_ parameters: FaultParameterReader) {}

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        try context.cluster.start()
        return "started the server"
    }
}
