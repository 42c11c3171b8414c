import Foundation

/// `pra verify` of the WAL archive: every archived file read back (gzip stream and the
/// SHA-256 its name promises), continuity from each kept base backup, and the recoverable
/// window that results.
public struct WALArchiveVerification: Codable, Sendable {
    public var directory: String
    public var filesChecked: Int
    /// Corrupt files: `name: reason`.
    public var corrupt: [String]
    /// Gaps and base backups whose WAL is not archived.
    public var problems: [String]
    public var window: RecoverableWindow?
    public var seconds: Double

    public var valid: Bool { corrupt.isEmpty && problems.isEmpty }

    /// Reads the whole archive of `backupDirectory`.
    public init(backupDirectory: String, progress: ProgressReporter? = nil) {
        let started = MonotonicClock.now()
        let archive = WALArchive(backupDirectory: backupDirectory)
        directory = archive.root
        let files = archive.files()
        var corrupt: [String] = []
        var unusable = Set<String>()
        var bytes: UInt64 = 0
        for file in files {
            do {
                _ = try archive.read(file) { _ in }
            } catch {
                corrupt.append("\(file.name.text): \(error)")
                unusable.insert(file.name.text)
            }
            bytes += file.compressedBytes
            progress?.update(phase: "verify WAL", bytes: bytes)
        }
        progress?.finish()
        filesChecked = files.count
        self.corrupt = corrupt
        let computed = RecoverableWindow.compute(directory: backupDirectory, unusable: unusable)
        problems = computed.problems
        window = computed.window
        seconds = started.elapsed()
    }

    /// Lines for the terminal.
    public var summary: String {
        var lines = ["WAL archive \(directory): \(filesChecked) files checked, \(corrupt.count) corrupt"]
        lines += corrupt.map { "  corrupt: \($0)" }
        lines += problems.map { "  problem: \($0)" }
        lines.append(window.map { "  \($0.sentence)" } ?? "  no point-in-time recovery possible: no complete base backup with its WAL archived")
        return lines.joined(separator: "\n")
    }
}
