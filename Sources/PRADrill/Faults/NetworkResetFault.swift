import Foundation
import PRACore

/// Connections between `pra` and the server reset mid-flight: the drill's proxy aborts every
/// open connection with a TCP RST once `bytes` more bytes have crossed it.
struct NetworkResetFault: FaultKind {
    static let name = "network-reset"
    static let summary = "Aborts (TCP RST) every connection open through the proxy between the pra steps and the server once `bytes` more bytes have crossed it in either direction (0: when it strikes; with `after:` it strikes after that long). Once: later connections, a retry's, go through."
    static let parameters = [
        FaultParameter("bytes", .size, default: "0", summary: "bytes allowed through (both ways together) before the reset; 0: at once"),
    ]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.afterStep

    let bytes: UInt64

    init(bytes: UInt64 = 0) {
        self.bytes = bytes
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        bytes = try parameters.size("bytes")
    }

    var description: String { bytes == 0 ? "network-reset" : "network-reset (after \(ByteCount.format(bytes)))" }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let proxy = try context.networkProxy()
        proxy.resetConnections(afterBytes: bytes)
        return bytes == 0 ? "reset the connections open to the server" : "the connections open to the server reset after \(ByteCount.format(bytes)) more"
    }

    /// A reset still waiting for its bytes is called off.
    func revert(_ context: ScenarioContext) {
        context.proxy?.disarmReset()
    }
}
