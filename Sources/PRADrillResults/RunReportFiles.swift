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
        try createParentDirectory(of: path)
        try JSONLinesFile.writeLine(JSONCoding.compactEncoder.encode(run), to: path, permissions: 0o644, followingLinks: true)
    }

    /// Every run recorded in the history file at `path`, oldest first, read in chunks.
    ///
    /// Lines that are not a complete run (a truncated last line after a crash, a hand edit), or
    /// whose values no drill writes (``DrillRunResult/implausibility``), are left out and their 1-based line numbers returned in `skippedLines`; blank lines are
    /// ignored. A missing or unreadable file yields no runs.
    public static func readHistory(path: String) -> (runs: [DrillRunResult], skippedLines: [Int]) {
        // A line that decodes but holds impossible values (a shard count of 0, a negative
        // duration) is as unreadable as a truncated one: named, never used, never a crash.
        guard let (runs, skipped) = try? JSONLinesFile(path: path).read(DrillRunResult.self, check: { $0.implausibility }) else { return ([], []) }
        return (runs, skipped.map(\.number))
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

    /// Creates the directory holding `path` (and its parents) when it is missing.
    public static func createParentDirectory(of path: String) throws(FileError) {
        try JSONLinesFile.createParentDirectory(of: path)
    }
}
