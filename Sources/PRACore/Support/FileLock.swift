import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a file: one `pra wal sync` at a time per archive
/// (`BACKUP_DIR/wal/.sync.lock`), one WAL prefetcher per spool. Released when the object is
/// deinitialised or the process dies (kill -9 included).
final class FileLock {
    private let fd: Int32

    /// Takes the lock on `path` (created if missing); `nil` when another process holds it and
    /// `wait` is false.
    init?(path: String, wait: Bool) throws(FileError) {
        // Read-only and readable by all (flock needs no more): a sync run from root's cron and
        // the pushes of the server's OS user share one lock file whoever created it.
        // O_NOFOLLOW: a symbolic link planted here must not redirect the open.
        fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(operation: .open, path: path, code: errno) }
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw FileError(operation: .lock, path: path, code: code)
        }
    }

    deinit {
        close(fd)
    }

    /// Whether a process holds the lock on `path` now.
    static func isHeld(path: String) -> Bool {
        guard let lock = try? FileLock(path: path, wait: false) else { return true }
        withExtendedLifetime(lock) {}
        return false
    }
}
