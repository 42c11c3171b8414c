import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The process group of one spawned child, signalled only while its leader is not yet reaped.
///
/// Once `waitpid` reaps the leader, its pid (and so the group id) is free, and on a busy host
/// with a small `pid_max` (32768 on Debian) the kernel hands it to another process within
/// minutes. A signal sent to `-pid` after that would land on a stranger: a late watchdog, a
/// delayed SIGKILL after a grace period, or an interrupt cleanup once stopped an unrelated
/// `pra` run that way. Every signal and the reaping itself go through one lock here, and the
/// child is reaped only after the group was killed (``waitUntilExited`` waits without reaping).
final class ChildProcessGroup: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var reaped = false

    init(pid: pid_t) {
        self.pid = pid
    }

    /// Sends `signal` to the whole group unless the leader has been reaped already.
    func signal(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        guard !reaped else { return }
        kill(-pid, signal)
    }

    /// SIGTERM to the group, then SIGKILL after `grace` seconds if the leader is still unreaped
    /// (with no grace: SIGKILL at once).
    func stop(grace: Double) {
        signal(grace > 0 ? SIGTERM : SIGKILL)
        guard grace > 0 else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [self] in signal(SIGKILL) }
    }

    /// Waits until the leader has exited, leaving it a zombie (its pid stays taken).
    func waitUntilExited() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
    }

    /// Kills what is left of the group (a shell's pipeline may outlive the leader), then reaps
    /// the leader; no signal reaches the group afterwards.
    func killRestAndReap() -> (exitCode: Int32?, signal: Int32?) {
        lock.lock()
        defer { lock.unlock() }
        kill(-pid, SIGKILL)
        reaped = true
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return (nil, nil) }
        }
        let signal = status & 0x7f
        if signal == 0 { return ((status >> 8) & 0xff, nil) }
        return (nil, signal)
    }
}
