import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// A child's group is signalled only while its leader is unreaped: once the pid is free, the
/// kernel may hand it to another process, and a late SIGKILL (the end of a stop's grace period)
/// must not reach it.
@Suite("ChildProcessGroup: no signal after the pid is free", .serialized)
struct ChildProcessGroupTests {
    struct Refused: Error {}

    /// Starts `sleep 30` so that it gets exactly `pid` (Foundation makes it the leader of its own
    /// group, so the group id is `pid` too), by
    /// setting the kernel's last pid (root only). `nil` when another process took it first.
    static func occupy(_ pid: pid_t) throws -> Process? {
        try "\(pid - 1)".write(toFile: "/proc/sys/kernel/ns_last_pid", atomically: false, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        try process.run()
        if process.processIdentifier == pid { return process }
        process.terminate()
        process.waitUntilExit()
        return nil
    }

    @Test("the SIGKILL due at the end of a stop's grace never reaches a new process that got the stopped child's pid", .enabled(if: TestEnvironment.isRoot, "setting /proc/sys/kernel/ns_last_pid needs root"))
    func lateKillSpared() throws {
        var stranger: Process?
        for _ in 0..<10 where stranger == nil {
            // The consumer fails at the first byte: the child's group gets SIGTERM now and a
            // SIGKILL 5 s later if the child were still there; it is gone at once.
            let program = ExternalProcess(executable: "/bin/sh", arguments: ["-c", "echo $$; exec sleep 30"], timeout: 60)
            var pid: pid_t = 0
            #expect(throws: (any Error).self) {
                _ = try program.run { bytes in
                    pid = pid_t(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                    throw Refused()
                }
            }
            guard pid > 0 else { continue }
            stranger = try Self.occupy(pid)
        }
        let process = try #require(stranger, "could not start a process with a just-freed pid in 10 attempts")
        defer {
            // Unreaped while it runs (Foundation reaps it on exit), so the pid is still its own.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        Thread.sleep(forTimeInterval: 6.5)
        #expect(process.isRunning, "the late SIGKILL meant for the stopped child killed pid \(process.processIdentifier)'s new owner")
    }
}
