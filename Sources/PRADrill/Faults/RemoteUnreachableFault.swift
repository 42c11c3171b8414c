import Foundation
import PRACore

/// Points `REMOTE_TARGET` at an ssh server that is not there (a closed port on loopback):
/// the off-site copy fails while the local backup completes.
struct RemoteUnreachableFault: FaultKind {
    static let name = "remote-unreachable"
    static let summary = "Sets REMOTE_TARGET to ssh://pra@127.0.0.1:<closed port>/...: the off-site copy cannot connect, pra backup exits 3 with the local backup complete."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep
    static let requirement: String? = "the ssh client (openssh-client)"

    init() {}

    init(_ parameters: FaultParameterReader) {}

    static func unavailableReason() -> String? {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh") ? nil : "remote-unreachable needs the ssh client (apt-get install openssh-client)"
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let target = "ssh://pra@127.0.0.1:\(LoopbackResponder.closedPort())/srv/pra-backups"
        context.override(Setting.remoteTarget.name, target)
        return "REMOTE_TARGET=\(target) (nothing listens there)"
    }

    func revert(_ context: ScenarioContext) {
        context.override(Setting.remoteTarget.name, nil)
    }
}
