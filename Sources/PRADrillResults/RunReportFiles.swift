import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machine-readable records of a drill run: the run's JSON file and the append-only
/// `reports/history.jsonl` that compliance reports are built from.
///
/// Both hold the whole ``DrillRunResult`` in the project's JSON conventions (sorted keys,
/// ISO-8601 dates, see `JSONCoding`); the JSON file is pretty-printed, a history line is
/// compact so that one run is exactly one line.
public enum RunReportFiles {
    /// Writes `run` as pretty-printed JSON to `path` durably (temporary file, fsync, rename; `-`,
    /// a link, a device or a FIFO is written through: `OutputFile`),
    /// replacing an earlier file and creating the parent directory when it is missing.
    public static func writeJSON(_ run: DrillRunResult, to path: String) throws {
        var data = try JSONCoding.encoder.encode(run)
        data.append(UInt8(ascii: "\n"))
        try createParentDirectory(of: path)
        try OutputFile.write(data, to: path, permissions: 0o644)
    }

    /// Appends `run` to the history file at `path` as one line of compact JSON ending in `\n`.
    ///
    /// The file is opened with `O_APPEND | O_CREAT` (the parent directory is created when
    /// missing), the line goes out in a single `write()` and is fsynced; earlier lines are never
    /// rewritten. If the file does not end with a newline (an earlier append was cut short),
    /// the line starts with one, so the broken line stays alone and this one stays readable.
    public static func appendHistory(_ run: DrillRunResult, to path: String) throws {
        var line = try historyLine(run)
        try createParentDirectory(of: path)
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(operation: .open, path: path, code: errno) }
        defer { close(fd) }
        if !endsWithNewlineOrIsEmpty(fd: fd) {
            line.insert(UInt8(ascii: "\n"), at: 0)
        }
        var written = -1
        repeat {
            written = line.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        } while written < 0 && errno == EINTR
        if written < 0 { throw FileError(operation: .write, path: path, code: errno, bytes: 0) }
        if written < line.count {
            // The rest must not be written separately: with O_APPEND another writer's line could
            // land in between. The next append starts on a fresh line; readers skip this one.
            throw FileError(operation: .write, path: path, code: ENOSPC, bytes: UInt64(written))
        }
        guard fsync(fd) == 0 else { throw FileError(operation: .fsync, path: path, code: errno, bytes: UInt64(written)) }
        DurableFile.syncDirectory(of: path)
    }

    /// Every run recorded in the history file at `path`, oldest first.
    ///
    /// Lines that are not a complete run (a truncated last line after a crash, a hand edit), or
    /// whose values no drill writes (``DrillRunResult/implausibility``), are left out and their 1-based line numbers returned in `skippedLines`; blank lines are
    /// ignored. A missing or unreadable file yields no runs.
    public static func readHistory(path: String) -> (runs: [DrillRunResult], skippedLines: [Int]) {
        guard let data = FileManager.default.contents(atPath: path) else { return ([], []) }
        let decoder = JSONCoding.decoder
        var runs: [DrillRunResult] = []
        var skipped: [Int] = []
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (offset, line) in lines.enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
                continue
            }
            // A line that decodes but holds impossible values (a shard count of 0, a negative
            // duration) is as unreadable as a truncated one: named, never used, never a crash.
            if let run = try? decoder.decode(DrillRunResult.self, from: Data(line)), run.implausibility == nil {
                runs.append(run)
            } else {
                skipped.append(offset + 1)
            }
        }
        return (runs, skipped)
    }

    // MARK: - Helpers

    /// The history line for `run`: compact JSON (`JSONCoding.compactEncoder`: sorted keys,
    /// ISO-8601 dates), then `\n`. Encoded JSON escapes newlines inside strings, so the run is
    /// exactly one line.
    static func historyLine(_ run: DrillRunResult) throws -> Data {
        var data = try JSONCoding.compactEncoder.encode(run)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// True when the file behind `fd` (opened for reading too) is empty or its last byte is a newline.
    private static func endsWithNewlineOrIsEmpty(fd: Int32) -> Bool {
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
