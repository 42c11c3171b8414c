import Foundation
import PRACore

/// Points `REMOTE_TARGET` at a directory on a size-limited tmpfs with only `freeBytes` free:
/// the off-site copy runs out of space while the local backup completes.
struct RemoteFullFault: FaultKind {
    static let name = "remote-full"
    static let summary = "Sets REMOTE_TARGET to a directory on a tmpfs with only `free` bytes: the off-site copy runs out of space (pra backup exits 3). The tmpfs is unmounted when the scenario ends."
    static let parameters = [FaultParameter("free", .size, default: "64KiB", summary: "space on the remote tmpfs")]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep
    static let requirement: String? = "root and the right to mount a tmpfs"

    let freeBytes: UInt64

    init(freeBytes: UInt64) {
        self.freeBytes = freeBytes
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        freeBytes = try parameters.size("free")
    }

    var description: String { "remote-full (\(ByteCount.format(freeBytes)) free)" }

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
        context.override(Setting.remoteTarget.name, directory)
        return "REMOTE_TARGET=\(directory) on a \(ByteCount.format(size)) tmpfs"
    }

    func revert(_ context: ScenarioContext) {
        context.override(Setting.remoteTarget.name, nil)
        _ = try? ExternalProcess(executable: "/bin/umount", arguments: [context.workDirectory + "/remote"], timeout: 30).run()
    }
}
