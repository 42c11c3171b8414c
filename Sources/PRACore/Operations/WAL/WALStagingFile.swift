import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file being written into the WAL archive, under a temporary name no other writer uses:
/// `.<NAME>.<pid>.<random>.partial` in the directory it will be linked into.
///
/// PostgreSQL may start a second `archive_command` for a segment while the first still runs
/// (an archiver restarted after a crash or a timeout). With one fixed temporary name the second
/// writer removed the first one's file and the first linked the second's half-written file by
/// path under its own SHA-256 name. Here each writer owns its name, nobody removes a temporary
/// file whose writer may still live (``removeAbandoned(in:)``), and the file is linked through
/// its descriptor, so what lands under the final name is exactly what this writer wrote.
final class WALStagingFile: RawByteWriter {
    let path: String
    private var fd: Int32
    private var cleanupToken: Int?
    /// Bytes written so far.
    private(set) var bytesWritten: UInt64 = 0

    static let suffix = ".partial"

    /// Creates the temporary file for `name` in `directory` (which must exist).
    init(directory: String, name: String, permissions: mode_t = 0o640) throws(FileError) {
        var created: (path: String, fd: Int32)?
        var lastCode: Int32 = EEXIST
        // A random part beside the pid: a pid reused after a killed writer must not collide.
        for _ in 0..<8 {
            let candidate = (directory as NSString).appendingPathComponent(".\(name).\(getpid()).\(Self.randomTag())\(Self.suffix)")
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
            if descriptor >= 0 {
                created = (candidate, descriptor)
                break
            }
            lastCode = errno
            guard lastCode == EEXIST else { break }
        }
        guard let created else {
            throw FileError(operation: .open, path: (directory as NSString).appendingPathComponent(".\(name).\(getpid()).*\(Self.suffix)"), code: lastCode)
        }
        path = created.path
        fd = created.fd
        // Held while the file is written: a cleaner tells a live writer from a killed one.
        flock(fd, LOCK_EX | LOCK_NB)
        let temporary = path
        cleanupToken = InterruptCleanup.shared.register { unlink(temporary) }
        if InterruptCleanup.shared.isInterrupted {
            discard()
            throw FileError(operation: .open, path: path, code: EINTR)
        }
    }

    deinit {
        discard()
    }

    private static func randomTag() -> String {
        String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }

    /// Appends all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        let written = try FileDescriptorWriter(fd: fd, path: path).write(bytes, alreadyWritten: bytesWritten)
        bytesWritten += UInt64(written)
    }

    /// fsyncs the content: done before the file gets its final name, so that a crash never
    /// leaves a final name over blocks that were not written.
    func sync() throws(FileError) {
        guard fsync(fd) == 0 else { throw FileError(operation: .fsync, path: path, code: errno, bytes: bytesWritten) }
    }

    /// Gives the file the name `finalPath` (same directory) without replacing anything: `EEXIST`
    /// when the name exists. Links the descriptor (`/proc/self/fd`), not the temporary path;
    /// without `/proc` it links the path and checks the result is this file's inode.
    func link(as finalPath: String) throws(FileError) {
        try sync()
        if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, finalPath, AT_SYMLINK_FOLLOW) != 0 {
            let code = errno
            guard code == ENOENT || code == ENOTDIR else { throw FileError(operation: .rename, path: finalPath, code: code) }
            guard Glibc.link(path, finalPath) == 0 else { throw FileError(operation: .rename, path: finalPath, code: errno) }
            guard isSameFile(finalPath) else {
                // Not this writer's inode: someone replaced the temporary file. Remove the link just made.
                unlink(finalPath)
                throw FileError(operation: .rename, path: finalPath, code: ESTALE)
            }
        }
        finish(finalPath)
    }

    /// Renames the file over `finalPath` (same directory), replacing what is there: only for a
    /// damaged copy of the same content (the name carries the SHA-256 this file was checked against).
    func replace(_ finalPath: String) throws(FileError) {
        try sync()
        guard isSameFile(path) else { throw FileError(operation: .rename, path: path, code: ESTALE) }
        guard rename(path, finalPath) == 0 else { throw FileError(operation: .rename, path: finalPath, code: errno) }
        finish(finalPath)
    }

    private func isSameFile(_ other: String) -> Bool {
        var mine = stat(), theirs = stat()
        return fstat(fd, &mine) == 0 && lstat(other, &theirs) == 0 && mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino
    }

    private func finish(_ finalPath: String) {
        discard()
        // The new name survives a crash.
        DurableFile.syncDirectory(of: finalPath)
    }

    /// Closes the file and removes its temporary name (the data stays under a final name, if linked).
    func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        // After a link, the temporary name is an extra link to the archived file; after a rename it is gone.
        unlink(path)
        if let cleanupToken { InterruptCleanup.shared.unregister(cleanupToken) }
        cleanupToken = nil
    }

    /// A temporary file left unchanged this long, with its writer gone, is abandoned.
    static let abandonedAfterSeconds: Double = 60

    /// Removes the temporary files in `directory` whose writer is provably gone: its pid (in the
    /// name) no longer exists, nobody holds its lock, and it has not changed for
    /// ``abandonedAfterSeconds`` (the three together: a pid alone may be another host's over NFS).
    /// Also the `.<NAME>.gz.partial` files of earlier versions once unlocked and as old.
    static func removeAbandoned(in directory: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries where entry.hasPrefix(".") && entry.hasSuffix(suffix) {
            let parts = entry.dropFirst().dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false)
            let path = (directory as NSString).appendingPathComponent(entry)
            if parts.count >= 3, let pid = pid_t(parts[parts.count - 2]), pid > 0,
               WALFileName(parts.dropLast(2).joined(separator: ".")) != nil {
                guard pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            } else if !(parts.count >= 2 && parts.last == "gz" && WALFileName(parts.dropLast().joined(separator: ".")) != nil) {
                continue
            }
            if DurableFile.isOrphaned(path, quietSeconds: abandonedAfterSeconds) { unlink(path) }
        }
    }
}
