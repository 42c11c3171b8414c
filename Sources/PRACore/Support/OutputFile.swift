import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An output path the user named (`--prometheus FILE`, `--json FILE`, `--junit FILE`, the
/// compliance report's `--html`/`--markdown`): written the way the path asks for.
///
/// - `-` is standard output.
/// - A symbolic link, character or block device, FIFO or socket is written through, as a shell
///   redirect would (opened without creating anything, truncated when it is a file): the link or
///   the device stays what it is. Renaming a temporary file over it would replace
///   `/dev/stdout` (a link) with a plain file, machine-wide when run as root.
/// - A regular file, or a path that does not exist yet, gets ``DurableFile``'s atomic write
///   (temporary name, fsync, rename), so a reader never sees half a file.
public enum OutputFile {
    /// How `path` will be written.
    public enum Mode: Equatable, Sendable {
        /// `-`: to this process's standard output.
        case standardOutput
        /// Opened and written in place (a link, a device, a FIFO, a socket).
        case throughExisting
        /// Temporary file, fsync, rename (a regular file or a new path).
        case atomic
    }

    /// The way `path` is written, from what is there now (the path itself, not following a link).
    public static func mode(of path: String) -> Mode {
        if path == "-" { return .standardOutput }
        var info = stat()
        guard lstat(path, &info) == 0 else { return .atomic }
        switch info.st_mode & S_IFMT {
        case S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK: return .throughExisting
        default: return .atomic
        }
    }

    /// Writes `data` to `path` as ``mode(of:)`` says; `permissions` apply to a file created by
    /// the atomic write only (an existing link's target or device keeps its own).
    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o644) throws(FileError) {
        switch mode(of: path) {
        case .standardOutput:
            try writeAll(data, fd: STDOUT_FILENO, path: "standard output")
        case .throughExisting:
            // No O_CREAT: a dangling link is an error, never a file created wherever it points.
            let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { throw FileError(operation: .open, path: path, code: errno) }
            defer { close(fd) }
            try writeAll(data, fd: fd, path: path)
        case .atomic:
            try DurableFile.write(data, to: path, permissions: permissions)
        }
    }

    private static func writeAll(_ data: Data, fd: Int32, path: String) throws(FileError) {
        // A typed-throws closure crashes the 6.3 compiler (see RawByteWriter); carry the error out.
        var failure: FileError?
        data.withUnsafeBytes { buffer in
            do {
                try FileDescriptorWriter(fd: fd, path: path).write(buffer, alreadyWritten: 0)
            } catch {
                failure = error as? FileError
            }
        }
        if let failure { throw failure }
    }
}
