import Foundation
import PRACore

/// Points `SLACK_WEBHOOK` at a loopback listener answering every request with an HTTP error.
struct WebhookErrorFault: FaultKind {
    static let name = "webhook-error"
    static let summary = "Starts a listener on 127.0.0.1 answering every request with HTTP `status` and sets SLACK_WEBHOOK to it: Slack alerts fail (check the warning with message_contains: \"slack alert via\"; the command's exit code must not change). The listener stops when the scenario ends."
    static let parameters = [FaultParameter("status", .wholeNumber, default: "500", accepted: "300–599", summary: "the HTTP status every request gets")]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep

    let status: Int

    init(status: Int) {
        self.status = status
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        status = try parameters.wholeNumber("status", in: 300...599)
    }

    var description: String { "webhook-error (HTTP \(status))" }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let body = "pra drill: webhook failing on purpose"
        let reply = "HTTP/1.1 \(status) Drill\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        let server = try LoopbackResponder(greeting: nil, reply: Data(reply.utf8))
        context.atEnd { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/services/pra-drill"
        context.override(Setting.slackWebhook.name, url)
        return "SLACK_WEBHOOK points at a listener answering HTTP \(status)"
    }

    func revert(_ context: ScenarioContext) {
        context.override(Setting.slackWebhook.name, nil)
    }
}
