import Foundation
import PRACore

/// Points `SLACK_WEBHOOK` at a loopback listener answering every request with an HTTP error.
struct WebhookErrorFault: FaultInjector {
    let status: Int

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let body = "pra drill: webhook failing on purpose"
        let reply = "HTTP/1.1 \(status) Drill\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        let server = try LoopbackResponder(greeting: nil, reply: Data(reply.utf8))
        context.atEnd { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/services/pra-drill"
        context.override("SLACK_WEBHOOK", url)
        return "SLACK_WEBHOOK points at a listener answering HTTP \(status)"
    }

    func revert(_ context: ScenarioContext) {
        context.override("SLACK_WEBHOOK", nil)
    }
}
