import Foundation
import PRACore

/// Puts the backup directory on a size-limited tmpfs holding a copy of what is there, with
/// only `freeBytes` left, so the step fills it. Reverting unmounts it: the original
/// directory, untouched underneath, comes back.
struct DiskFullFault: FaultInjector {
    let freeBytes: UInt64

    static func unavailableReason() -> String? {
        getuid() == 0 ? nil : "disk-full needs root to mount a size-limited tmpfs (run the drill as root, e.g. in CI)"
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let directory = context.backupDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let staging = context.workDirectory + "/disk-full-copy"
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.copyItem(atPath: directory, toPath: staging)
        var used: UInt64 = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: staging) {
            let size = ((try? FileManager.default.attributesOfItem(atPath: staging + "/" + name)[.size]) as? NSNumber)?.uint64Value ?? 0
            used += (size + 4095) / 4096 * 4096
        }
        let size = used + max(freeBytes, 4096)
        try ExternalProcess(executable: "/bin/mount", arguments: ["-t", "tmpfs", "-o", "size=\(size)", "pra-drill-disk-full", directory], timeout: 30).runChecked()
        InterruptCleanup.shared.register { _ = try? ExternalProcess(executable: "/bin/umount", arguments: ["-l", directory], timeout: 30).run() }
        for name in try FileManager.default.contentsOfDirectory(atPath: staging) {
            try FileManager.default.copyItem(atPath: staging + "/" + name, toPath: directory + "/" + name)
        }
        try? FileManager.default.removeItem(atPath: staging)
        return "mounted a \(ByteCount.format(size)) tmpfs on \(directory) (\(ByteCount.format(size - used)) free)"
    }

    func revert(_ context: ScenarioContext) {
        _ = try? ExternalProcess(executable: "/bin/umount", arguments: [context.backupDirectory], timeout: 30).run()
    }
}
