import Foundation
import PRACore

/// Points `REMOTE_TARGET` at an ssh server that is not there (a closed port on loopback):
/// the off-site copy fails while the local backup completes.
struct RemoteUnreachableFault: FaultInjector {
    static func unavailableReason() -> String? {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh") ? nil : "remote-unreachable needs the ssh client (apt-get install openssh-client)"
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let target = "ssh://pra@127.0.0.1:\(LoopbackResponder.closedPort())/srv/pra-backups"
        context.override("REMOTE_TARGET", target)
        return "REMOTE_TARGET=\(target) (nothing listens there)"
    }

    func revert(_ context: ScenarioContext) {
        context.override("REMOTE_TARGET", nil)
    }
}
