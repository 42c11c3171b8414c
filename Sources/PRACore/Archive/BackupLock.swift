import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `<BACKUP_DIR>/.pra-backup.lock`: one backup at a time per directory.
/// Released when the object is deinitialised (or the process dies).
public final class BackupLock {
    public let path: String
    private var fd: Int32

    /// Takes the lock or throws ``ArchiveError/locked(directory:holder:)`` naming the holder.
    public init(directory: String) throws {
        path = (directory as NSString).appendingPathComponent(".pra-backup.lock")
        // O_NOFOLLOW: a symbolic link planted here must not make pra truncate its target.
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(operation: .open, path: path, code: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            fd = -1
            if code == EWOULDBLOCK {
                throw ArchiveError.locked(directory: directory, holder: holder.map { $0.isEmpty ? "holder unknown" : $0 } ?? "holder unknown")
            }
            throw FileError(operation: .lock, path: path, code: code)
        }
        let note = "pid \(getpid()) since \(ISO8601DateFormatter().string(from: Date()))\n"
        ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        if fd >= 0 {
            ftruncate(fd, 0)
            close(fd)
        }
    }
}

extension BackupLock {
    /// The start of every backup: creates `directory` (mode 750) when missing and takes its lock.
    public static func forBackup(in directory: String) throws(OperationFailure) -> BackupLock {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw OperationFailure(stage: "prepare", message: "cannot create backup directory \(directory): \(error.localizedDescription)")
        }
        do {
            return try BackupLock(directory: directory)
        } catch {
            throw OperationFailure(stage: "lock", error)
        }
    }
}
