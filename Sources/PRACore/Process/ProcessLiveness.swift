import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether a process (a postmaster named by its `postmaster.pid`) still runs.
public enum ProcessLiveness {
    /// True when `pid` exists and is not a zombie waiting to be reaped.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// Waits up to `seconds` for `pid` to be gone.
    public static func waitUntilGone(_ pid: pid_t, seconds: Double = 10) {
        let deadline = MonotonicClock.now()
        while isAlive(pid) && deadline.elapsed() < seconds { usleep(10_000) }
    }
}
