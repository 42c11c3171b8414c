import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An append-only file of JSON lines shared by concurrent writers (the drill history, the
/// evidence log).
///
/// An append takes the file's lock (an exclusive `flock` on `FILE.lock`, which a rewrite such as
/// compaction takes too), writes the line with one `write()` on an `O_APPEND` descriptor and
/// fsyncs it: two writers never interleave, and a line is never appended to a file a rewrite is
/// about to replace. A reader never fails on a damaged line: it skips it and names it.
public struct JSONLinesFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The lock file beside the data file; rewrites hold it too.
    public var lockPath: String { path + ".lock" }

    /// A line that could not be used, by 1-based number, with the reason.
    public struct SkippedLine: Sendable, Equatable, Codable {
        public var number: Int
        public var reason: String
    }

    /// Appends `line` (one JSON document without newlines) and a newline. If the file does not
    /// end with a newline (an earlier append was cut short), the line starts with one, so the
    /// broken line stays alone and this one stays readable.
    public func append(_ line: Data, permissions: mode_t = 0o640) throws(FileError) {
        try withLock { () throws(FileError) in
            try Self.writeLine(line, to: path, permissions: permissions, followingLinks: false)
        }
    }

    /// Appends `line` and a newline to `path` with one `write()` on an `O_APPEND` descriptor,
    /// fsynced with its directory; a file that does not end with a newline (an append cut
    /// short) gets one first, so the broken line stays alone. Takes no lock: callers that
    /// share the file with a rewrite use ``append(_:permissions:)``.
    /// - Parameter followingLinks: false refuses a symbolic link at `path` (`O_NOFOLLOW`).
    public static func writeLine(_ line: Data, to path: String, permissions: mode_t, followingLinks: Bool) throws(FileError) {
        var bytes = line
        bytes.append(UInt8(ascii: "\n"))
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW), permissions)
        guard fd >= 0 else { throw FileError(operation: .open, path: path, code: errno) }
        defer { close(fd) }
        if !endsWithNewlineOrIsEmpty(fd: fd) { bytes.insert(UInt8(ascii: "\n"), at: 0) }
        var written = -1
        repeat {
            written = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        } while written < 0 && errno == EINTR
        if written < 0 { throw FileError(operation: .write, path: path, code: errno, bytes: 0) }
        // The rest is never written separately: with O_APPEND another writer's line could land
        // in between. The next append starts on a fresh line and readers skip this one.
        if written < bytes.count { throw FileError(operation: .write, path: path, code: ENOSPC, bytes: UInt64(written)) }
        guard fsync(fd) == 0 else { throw FileError(operation: .fsync, path: path, code: errno, bytes: UInt64(written)) }
        DurableFile.syncDirectory(of: path)
    }

    /// Runs `body` holding the file's exclusive lock (blocking until other writers are done).
    public func withLock<T>(_ body: () throws(FileError) -> T) throws(FileError) -> T {
        try Self.createParentDirectory(of: path)
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard fd >= 0 else { throw FileError(operation: .open, path: lockPath, code: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw FileError(operation: .lock, path: lockPath, code: errno) }
        }
        return try body()
    }

    /// Calls `handle` with each non-blank line and its 1-based number, reading the file in
    /// chunks (memory stays flat however long the file is). A missing file has no lines.
    public func forEachLine(_ handle: (Int, Data) throws -> Void) throws {
        guard let file = FileHandle(forReadingAtPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw FileError(operation: .open, path: path, code: EACCES) }
            return
        }
        defer { try? file.close() }
        var pending = Data()
        var number = 0
        func emit(_ line: Data) throws {
            number += 1
            if line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") }) {
                try handle(number, line)
            }
        }
        while let chunk = try file.read(upToCount: 256 * 1024), !chunk.isEmpty {
            pending.append(chunk)
            // The lines of the chunk by a cursor; the consumed bytes are dropped once per chunk
            // (dropping each line from the front would move the rest of the chunk every time).
            var lineStart = pending.startIndex
            while let newline = pending[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                try emit(Data(pending[lineStart..<newline]))
                lineStart = pending.index(after: newline)
            }
            pending = Data(pending[lineStart...])
        }
        if !pending.isEmpty { try emit(pending) }
    }

    /// Every line decoded as `T`, oldest first; lines that do not decode, or that `check` finds
    /// implausible (returns a reason for), are skipped and named.
    public func read<T: Decodable>(_ type: T.Type, check: (T) -> String? = { _ in nil }) throws -> (values: [T], skipped: [SkippedLine]) {
        let decoder = JSONCoding.decoder
        var values: [T] = []
        var skipped: [SkippedLine] = []
        try forEachLine { number, line in
            do {
                let value = try decoder.decode(T.self, from: line)
                if let reason = check(value) {
                    skipped.append(SkippedLine(number: number, reason: reason))
                } else {
                    values.append(value)
                }
            } catch {
                skipped.append(SkippedLine(number: number, reason: "not a complete record (truncated or malformed)"))
            }
        }
        return (values, skipped)
    }

    /// True when the file behind `fd` (opened for reading too) is empty or its last byte is a newline.
    static func endsWithNewlineOrIsEmpty(fd: Int32) -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return true }
        // O_APPEND moves writes only; pread still reads where it is told.
        var last: UInt8 = 0
        guard pread(fd, &last, 1, info.st_size - 1) == 1 else { return true }
        return last == UInt8(ascii: "\n")
    }

    /// Creates the directory holding `path` (and its parents) when it is missing.
    public static func createParentDirectory(of path: String) throws(FileError) {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw FileError(operation: .mkdir, path: directory, code: ENOTDIR)
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FileError(operation: .mkdir, path: directory, code: errno == 0 ? EIO : errno)
        }
    }
}
