import Foundation
import PRACore

/// Points `SMTP_URL` at a loopback listener that refuses service in its greeting (554), and
/// sets `ALERT_EMAIL` when the scenario has none: every email alert fails.
struct SMTPRefusingFault: FaultKind {
    static let name = "smtp-refusing"
    static let summary = "Starts a listener on 127.0.0.1 that greets with 554 and sets SMTP_URL to it (and ALERT_EMAIL when unset): email alerts fail. The listener stops when the scenario ends."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep
    static let requirement: String? = "curl, which sends pra's email alerts"

    init() {}

    init(_ parameters: FaultParameterReader) {}

    static func unavailableReason() -> String? {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") ? nil : "smtp-refusing needs curl, which sends pra's email alerts (apt-get install curl)"
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let server = try LoopbackResponder(greeting: Data("554 5.3.2 pra drill: service refused\r\n".utf8), reply: nil)
        context.atEnd { server.stop() }
        context.override(Setting.smtpURL.name, "smtp://127.0.0.1:\(server.port)")
        if context.environment[Setting.alertEmail.name] == nil { context.override(Setting.alertEmail.name, "oncall@example.invalid") }
        return "SMTP_URL points at a server refusing with 554"
    }

    func revert(_ context: ScenarioContext) {
        context.override(Setting.smtpURL.name, nil)
        context.override(Setting.alertEmail.name, nil)
    }
}
