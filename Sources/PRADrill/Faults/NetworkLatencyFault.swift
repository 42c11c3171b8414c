import Foundation
import PRACore

/// Slows the link between `pra` and the server: every chunk crossing the drill's proxy is held
/// `delay` (± `jitter`) before it goes on.
struct NetworkLatencyFault: FaultKind {
    static let name = "network-latency"
    static let summary = "Holds every chunk crossing the proxy between the pra steps and the server for `delay` (± `jitter`, at random) in `direction`, one way: with `both`, a round trip takes 2 × delay longer. Chunks keep their order and are pipelined, so a stream keeps its throughput."
    static let parameters = [
        FaultParameter("delay", .duration, default: "0.1s", summary: "one-way delay added to every chunk"),
        FaultParameter("jitter", .duration, default: "0s", summary: "up to this much more or less, drawn per chunk"),
        FaultParameter("direction", .choice, default: "both", accepted: "both, upstream (pra → server), downstream (server → pra)", summary: "which flow is delayed"),
    ]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.afterStep

    let delay: Double
    let jitter: Double
    let direction: ProxyDirection

    init(delay: Double, jitter: Double = 0, direction: ProxyDirection = .both) {
        self.delay = delay
        self.jitter = jitter
        self.direction = direction
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        delay = try parameters.duration("delay")
        jitter = try parameters.duration("jitter")
        direction = try parameters.choice("direction", what: "direction")
    }

    var description: String { "network-latency (\(amount), \(direction.rawValue))" }

    /// `20 ms ± 5 ms`: latencies are mostly under a second.
    private var amount: String {
        func milliseconds(_ seconds: Double) -> String { String(format: "%.0f ms", seconds * 1000) }
        return milliseconds(delay) + (jitter > 0 ? " ± " + milliseconds(jitter) : "")
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        try context.networkProxy().update(direction) {
            $0.delay = delay
            $0.jitter = jitter
        }
        return "the link to the server delays \(direction == .both ? "each direction" : direction.rawValue + " traffic") by \(amount)"
    }

    func revert(_ context: ScenarioContext) {
        context.proxy?.update(direction) {
            $0.delay = 0
            $0.jitter = 0
        }
    }
}
