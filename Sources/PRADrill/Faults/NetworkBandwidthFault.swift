import Foundation
import PRACore

/// A slow link between `pra` and the server: the drill's proxy forwards at most `rate` bytes
/// per second each way it acts on.
struct NetworkBandwidthFault: FaultKind {
    static let name = "network-bandwidth"
    static let summary = "Limits the proxy between the pra steps and the server to `rate` bytes per second in `direction` (each flow on its own): a backup's dump comes downstream, a restore's data goes upstream."
    static let parameters = [
        FaultParameter("rate", .size, default: "1MiB", accepted: "1 KiB–10 GiB per second", summary: "bytes per second, e.g. 512KiB"),
        FaultParameter("direction", .choice, default: "both", accepted: "both, upstream (pra → server), downstream (server → pra)", summary: "which flow is limited"),
    ]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.afterStep

    let rate: UInt64
    let direction: ProxyDirection

    init(rate: UInt64, direction: ProxyDirection = .both) {
        self.rate = rate
        self.direction = direction
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        rate = try parameters.size("rate")
        guard (1024...(10 << 30)).contains(rate) else { throw parameters.error("rate", "must be between 1KiB and 10GiB per second") }
        direction = try parameters.choice("direction", what: "direction")
    }

    var description: String { "network-bandwidth (\(ByteCount.format(rate))/s, \(direction.rawValue))" }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        try context.networkProxy().update(direction) { $0.bytesPerSecond = Double(rate) }
        return "the link to the server carries \(ByteCount.format(rate))/s \(direction.rawValue)"
    }

    func revert(_ context: ScenarioContext) {
        context.proxy?.update(direction) { $0.bytesPerSecond = nil }
    }
}
