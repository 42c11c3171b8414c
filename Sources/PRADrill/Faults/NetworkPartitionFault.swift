import Foundation
import PRACore

/// The server is cut off: the drill's proxy black-holes the link between `pra` and the server
/// until the fault is undone.
struct NetworkPartitionFault: FaultKind {
    static let name = "network-partition"
    static let summary = "Black-holes the proxy between the pra steps and the server: no byte crosses either way and new connections get no answer (a TCP connect still succeeds, as through a dead router), until undone; then what waited flows again. pra must give up on its own timeouts (PGCONNECT_TIMEOUT, STATEMENT_TIMEOUT)."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.afterStep

    init() {}

    init(_ parameters: FaultParameterReader) {}

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        try context.networkProxy().partition()
        return "the link to the server is black-holed"
    }

    func revert(_ context: ScenarioContext) {
        context.proxy?.heal()
    }
}
