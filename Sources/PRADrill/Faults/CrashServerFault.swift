import PRACore

/// SIGKILL of the postmaster, as a crash. Stays crashed until a start-server fault.
struct CrashServerFault: FaultKind {
    static let name = "crash-server"
    static let summary = "SIGKILL of the postmaster."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.byLaterFault(StartServerFault.name)

    init() {}

    init(_ parameters: FaultParameterReader) {}

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let pid = context.cluster.postmasterPID
        context.cluster.crash()
        return "killed the postmaster (pid \(pid.map(String.init) ?? "?")) with SIGKILL"
    }
}
