import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` beside the state file (`<state>.lock`): one `pra activate` at a time.
/// Released when the object goes away or the process dies (a kill -9 leaves no stale lock).
final class ActivationLock {
    private var fd: Int32

    init(stateFile: String) throws(ActivationError) {
        let path = stateFile + ".lock"
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        // O_NOFOLLOW: a planted link must not make pra open something else.
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ActivationError("cannot open the activation lock \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            fd = -1
            throw ActivationError(code == EWOULDBLOCK ? "another pra activate is running (it holds \(path)); wait for it or stop it" : "cannot lock \(path): \(String(cString: strerror(code)))")
        }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }
}
