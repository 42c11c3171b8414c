import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts one of pra's own commands in its own session, outliving the one that started it: the
/// caller (`pra wal push` under the archiver, `pra wal get` under recovery) returns at once and
/// nothing waits for the child. Its stdin and stdout are /dev/null; its stderr stays the
/// caller's (the server log). Signals start at their defaults, none blocked.
public enum DetachedProcess {
    /// The child's pid, or the errno of `posix_spawn`.
    public static func start(executable: String, arguments: [String]) -> Result<pid_t, POSIXError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        ExternalProcess.resetSignals(&attributes)
        // Its own session: the caller's process group and a shell's signals do not reach it.
        posix_spawnattr_setflags(&attributes, Int16(0x80 /* POSIX_SPAWN_SETSID */ | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let words = [executable] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        // pra's own child: it needs what this process was given (the store's keys included).
        let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        return result == 0 ? .success(pid) : .failure(POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO))
    }
}
