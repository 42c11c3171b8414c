import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file written under a temporary name, fsynced, then renamed into place.
///
/// Until ``commit()`` nothing exists under the final name; ``discard()`` (also run from
/// `deinit` and on interrupt) removes the temporary file, so a failure never leaves a file
/// that looks valid.
public final class DurableFile: RawByteWriter {
    public private(set) var finalPath: String
    public let temporaryPath: String
    private var fd: Int32
    private var committed = false
    private var cleanupToken: Int?
    /// Bytes written so far.
    public private(set) var bytesWritten: UInt64 = 0

    /// Creates `.<name>.partial` beside `finalPath`; refuses to overwrite an existing final
    /// file unless `replacing` (the rename then swaps it atomically).
    public init(finalPath: String, permissions: mode_t = 0o640, replacing: Bool = false) throws(FileError) {
        self.finalPath = finalPath
        let directory = (finalPath as NSString).deletingLastPathComponent
        let name = (finalPath as NSString).lastPathComponent
        temporaryPath = (directory.isEmpty ? "." : directory) + "/." + name + ".partial"
        if !replacing && FileManager.default.fileExists(atPath: finalPath) {
            throw FileError(operation: .open, path: finalPath, code: EEXIST)
        }
        unlink(temporaryPath)  // a leftover of a killed run; never a valid file
        // The cleanup is in place before the file exists: an interrupt landing right after the
        // open must still remove it.
        let path = temporaryPath
        let token = InterruptCleanup.shared.register { unlink(path) }
        // O_EXCL | O_NOFOLLOW: never through a symbolic link someone planted.
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        guard fd >= 0 else {
            let code = errno
            InterruptCleanup.shared.unregister(token)
            throw FileError(operation: .open, path: temporaryPath, code: code)
        }
        cleanupToken = token
        // An interrupt whose cleanups ran while the file was being created: remove it now.
        if InterruptCleanup.shared.isInterrupted {
            discard()
            throw FileError(operation: .open, path: temporaryPath, code: EINTR)
        }
        // Held while the file is written: a cleaner tells a live writer from a killed one.
        flock(fd, LOCK_EX | LOCK_NB)
    }

    deinit {
        discard()
    }

    /// Appends all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        let written = try FileDescriptorWriter(fd: fd, path: finalPath).write(bytes, alreadyWritten: bytesWritten)
        bytesWritten += UInt64(written)
    }

    /// fsyncs the data, renames the file into place and fsyncs the directory.
    /// - Parameters:
    ///   - durably: `false` skips both fsyncs (a scratch copy that a crash may lose, such as a
    ///     WAL segment handed to a recovering server).
    ///   - replacing: `false` links the file into place instead of renaming it, so that an
    ///     existing final file is never replaced, even by a concurrent writer (`EEXIST`).
    ///   - path: a final name other than the one given at creation, in the same directory
    ///     (a name that depends on the content, known only once it is written).
    public func commit(durably: Bool = true, replacing: Bool = true, as path: String? = nil) throws(FileError) {
        if let path { finalPath = path }
        guard !durably || fsync(fd) == 0 else { throw FileError(operation: .fsync, path: finalPath, code: errno, bytes: bytesWritten) }
        guard close(fd) == 0 else {
            let code = errno
            fd = -1
            throw FileError(operation: .write, path: finalPath, code: code, bytes: bytesWritten)
        }
        fd = -1
        if replacing {
            guard rename(temporaryPath, finalPath) == 0 else { throw FileError(operation: .rename, path: finalPath, code: errno) }
        } else {
            guard link(temporaryPath, finalPath) == 0 else { throw FileError(operation: .rename, path: finalPath, code: errno) }
            unlink(temporaryPath)
        }
        committed = true
        if let cleanupToken { InterruptCleanup.shared.unregister(cleanupToken) }
        cleanupToken = nil
        if durably { Self.syncDirectory(of: finalPath) }
    }

    /// Closes and removes the temporary file unless it was committed.
    public func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        if !committed { unlink(temporaryPath) }
        if let cleanupToken { InterruptCleanup.shared.unregister(cleanupToken) }
        cleanupToken = nil
    }

    /// Writes `data` to `path` durably in one go (manifests, reports, records).
    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o640) throws(FileError) {
        let file = try DurableFile(finalPath: path, permissions: permissions, replacing: true)
        try file.write(data)
        try file.commit()
    }

    /// True when the temporary file at `path` has no live writer: nobody holds its lock and it
    /// did not change in the last `quietSeconds`. Symbolic links and non-files are never orphans.
    public static func isOrphaned(_ path: String, quietSeconds: Double) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        guard Date().timeIntervalSince1970 - modified >= quietSeconds else { return false }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) == 0
    }

    /// fsyncs the directory holding `path`, so a rename survives a crash.
    public static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
