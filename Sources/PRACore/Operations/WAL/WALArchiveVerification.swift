import Foundation

/// `pra verify` of the WAL archive: every archived file read back (compressed stream, in the
/// codec its name gives, and the SHA-256 its name promises), continuity from each kept base
/// backup, and the recoverable window that results.
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
        // History and backup history files are kept to be checked once every file was read.
        var texts: [WALArchive.File: Data] = [:]
        for file in files {
            let keep = file.name.kind == .history || file.name.kind == .backupLabel
            var content = Data()
            do {
                _ = try archive.read(file) { if keep && content.count <= TimelineHistory.maximumFileBytes { content.append(contentsOf: $0) } }
                if keep { texts[file] = content }
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
        problems = Self.historyProblems(files: files, contents: texts, segmentSize: (try? archive.identity())??.segmentSize ?? 16 << 20) + computed.problems
        window = computed.window
        seconds = started.elapsed()
    }

    /// Timeline histories and backup labels that do not parse, and histories that contradict
    /// each other or the archived segments: recovery follows them blindly, so a forged or
    /// damaged one moves (or cuts) the recoverable window without any segment missing.
    static func historyProblems(files: [WALArchive.File], contents: [WALArchive.File: Data], segmentSize: UInt64) -> [String] {
        var problems: [String] = []
        var histories: [UInt32: (name: String, history: TimelineHistory)] = [:]
        for file in files where file.name.kind == .history {
            guard let content = contents[file] else { continue }  // corrupt: reported as such
            do {
                histories[file.name.timeline] = (file.name.text, try TimelineHistory.validated(timeline: file.name.timeline, content: content))
            } catch {
                problems.append("timeline history \(file.name.text) does not parse (\(error)): recovery cannot follow timeline \(file.name.timeline)")
            }
        }
        for file in files where file.name.kind == .backupLabel {
            guard let content = contents[file] else { continue }
            do {
                _ = try BackupHistoryLabel.validated(name: file.name, content: content, segmentSize: segmentSize)
            } catch {
                problems.append("backup history file \(file.name.text) is not valid (\(error))")
            }
        }
        for timeline in histories.keys.sorted() {
            let (name, history) = histories[timeline]!
            // PostgreSQL writes a child's history as its parent's lines plus one: the ancestry must agree.
            let parent = history.entries[history.entries.count - 2].timeline
            if let (parentName, parentHistory) = histories[parent] {
                let inherited = history.entries.prefix(parentHistory.entries.count - 1).map { "\($0.timeline)@\($0.ends?.description ?? "")" }
                let expected = parentHistory.entries.dropLast().map { "\($0.timeline)@\($0.ends?.description ?? "")" }
                if inherited != expected {
                    problems.append("timeline history \(name) contradicts \(parentName): they disagree on where the earlier timelines were left")
                }
            }
            // Timeline N begins in the segment holding its switch point: none of its segments can be older.
            let begins = history.entries.last!.begins
            let firstSegment = begins.value / segmentSize
            if let early = files.first(where: { $0.name.kind == .segment && $0.name.timeline == timeline && ($0.name.segmentNumber(segmentSize: segmentSize) ?? .max) < firstSegment }) {
                problems.append("timeline history \(name) says timeline \(timeline) begins at \(begins), but segment \(early.name.text) of that timeline, older than that, is archived: the history or the segment is wrong")
            }
        }
        return problems
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
