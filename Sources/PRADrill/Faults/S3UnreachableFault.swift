import Foundation
import PRACore

/// Points the S3 endpoint at a closed port on loopback: every request is refused, retried,
/// then the off-site copy fails while the local backup completes.
struct S3UnreachableFault: FaultKind {
    static let name = "s3-unreachable"
    static let summary = "Sets S3_ENDPOINT to http://127.0.0.1:<closed port> (REMOTE_TARGET s3://, the scenario's s3-target bucket or a placeholder): every request is refused and retried (S3_MAX_RETRIES=1), then pra backup exits 3 with the local backup complete."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep

    init() {}

    init(_ parameters: FaultParameterReader) {}

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let endpoint = "http://127.0.0.1:\(LoopbackResponder.closedPort())"
        var environment = context.environment
        if environment[Setting.remoteTarget.name]?.hasPrefix("s3://") != true { environment[Setting.remoteTarget.name] = "s3://pra-drill/unreachable" }
        environment[Setting.s3Endpoint.name] = endpoint
        environment[Setting.s3MaxRetries.name] = "1"
        if environment[Setting.awsAccessKeyID.name] == nil {
            environment[Setting.awsAccessKeyID.name] = "PRADRILLUNREACHABLE"
            environment[Setting.awsSecretAccessKey.name] = "pra-drill-unreachable"
        }
        DrillS3Server.apply(environment, to: context)
        return "S3_ENDPOINT=\(endpoint) (nothing listens there)"
    }

    func revert(_ context: ScenarioContext) {
        DrillS3Server.restore(context)
    }
}
