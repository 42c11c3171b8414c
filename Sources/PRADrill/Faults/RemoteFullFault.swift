import Foundation
import PRACore

/// Points `REMOTE_TARGET` at a directory on a size-limited tmpfs with only `freeBytes` free:
/// the off-site copy runs out of space while the local backup completes.
struct RemoteFullFault: FaultInjector {
    let freeBytes: UInt64

    static func unavailableReason() -> String? {
        DiskFullFault.unavailableReason().map { $0.replacingOccurrences(of: "disk-full", with: "remote-full") }
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let directory = context.workDirectory + "/remote"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let size = max(freeBytes, 4096)
        try ExternalProcess(executable: "/bin/mount", arguments: ["-t", "tmpfs", "-o", "size=\(size)", "pra-drill-remote-full", directory], timeout: 30).runChecked()
        let unmount: @Sendable () -> Void = { _ = try? ExternalProcess(executable: "/bin/umount", arguments: [directory], timeout: 30).run() }
        let token = InterruptCleanup.shared.register(unmount)
        context.atEnd {
            unmount()
            InterruptCleanup.shared.unregister(token)
        }
        context.override("REMOTE_TARGET", directory)
        return "REMOTE_TARGET=\(directory) on a \(ByteCount.format(size)) tmpfs"
    }

    func revert(_ context: ScenarioContext) {
        context.override("REMOTE_TARGET", nil)
        _ = try? ExternalProcess(executable: "/bin/umount", arguments: [context.workDirectory + "/remote"], timeout: 30).run()
    }
}
