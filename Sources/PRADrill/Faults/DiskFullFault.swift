import Foundation
import PRACore

/// Puts the backup directory on a size-limited tmpfs holding a copy of what is there, with
/// only `freeBytes` left, so the step fills it. Reverting unmounts it: the original
/// directory, untouched underneath, comes back.
struct DiskFullFault: FaultKind {
    static let name = "disk-full"
    static let summary = "Mounts a tmpfs over the scenario's backup directory holding a copy of its files, with only `free` bytes left (at least 4 KiB). When it is unmounted the original directory (with the earlier backups) comes back and whatever was written on the tmpfs is gone."
    static let parameters = [FaultParameter("free", .size, default: "64KiB", summary: "space left on the tmpfs for the step to fill")]
    static let allowedSteps: [StepKind] = [.backup]
    static let undo = FaultUndo.afterStep
    static let requirement: String? = "root and the right to mount a tmpfs (probed once by mounting a tiny one)"

    let freeBytes: UInt64

    init(freeBytes: UInt64) {
        self.freeBytes = freeBytes
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        freeBytes = try parameters.size("free")
    }

    var description: String { "disk-full (\(ByteCount.format(freeBytes)) free)" }

    /// Root is needed, and root in an unprivileged container may still not mount: try it once.
    static func unavailableReason() -> String? {
        guard getuid() == 0 else { return "disk-full needs root to mount a size-limited tmpfs (run the drill as root, e.g. in CI)" }
        var template = Array("/tmp/pra-mount-probe-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { return "disk-full cannot create a probe directory in /tmp" }
        let probe = String(cString: made)
        defer { rmdir(probe) }
        do {
            try ExternalProcess(executable: "/bin/mount", arguments: ["-t", "tmpfs", "-o", "size=64k", "pra-mount-probe", probe], timeout: 30).runChecked()
        } catch {
            return "disk-full cannot mount a tmpfs here (\(error))"
        }
        _ = try? ExternalProcess(executable: "/bin/umount", arguments: [probe], timeout: 30).run()
        return nil
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
