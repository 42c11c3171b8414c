import Foundation

/// The moments point-in-time recovery can reach: from the end of the oldest kept base backup
/// with unbroken WAL after it, to the newest segment archived with no gap in between.
public struct RecoverableWindow: Codable, Sendable, Equatable {
    /// The earliest moment: the oldest usable base backup is consistent from here on.
    public var from: Date
    /// About the latest moment: when the newest contiguous segment was archived.
    public var to: Date
    /// The base backup the window starts with.
    public var oldestBaseBackup: String
    /// The newest segment reached without a gap.
    public var lastSegment: String
    /// A segment missing after `lastSegment` although later ones are archived.
    public var gap: String?

    /// One sentence for people.
    public var sentence: String {
        "can restore to any moment between \(Self.format(from)) and about \(Self.format(to)) (base backup \(oldestBaseBackup), WAL through \(lastSegment))"
            + (gap.map { "; WAL segment \($0) is missing, so nothing after it can be recovered" } ?? "")
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The window of the base backups in `directory` and its WAL archive; `nil` when there
    /// is no complete base backup whose WAL is archived through its end.
    /// - Parameter unusable: archived files known to be corrupt: as good as missing.
    public static func compute(directory: String, unusable: Set<String> = []) -> (window: RecoverableWindow?, problems: [String]) {
        let archive = WALArchive(backupDirectory: directory)
        let identity = try? archive.identity()
        let files = archive.files().filter { !unusable.contains($0.name.text) }
        var historyCache: [UInt32: TimelineHistory] = [:]
        let history: (UInt32) -> TimelineHistory = { timeline in
            if let known = historyCache[timeline] { return known }
            let read = archive.history(of: timeline)
            historyCache[timeline] = read
            return read
        }
        let manifests = BaseBackupCatalogue(directory: directory).complete.compactMap(\.manifest)
        return compute(manifests: manifests, files: files, identity: identity ?? nil, history: history)
    }

    /// The window of `manifests` (base backups, any order) with the WAL `files`, wherever both
    /// are (the local archive, or the off-site copy alone).
    /// - Parameters:
    ///   - identity: the WAL archive's system and segment size; base backups of another system are left out, named.
    ///   - history: the ancestry of a timeline.
    public static func compute(manifests: [BaseBackupManifest], files: [WALArchive.File], identity: WALArchive.Identity?, history: (UInt32) -> TimelineHistory) -> (window: RecoverableWindow?, problems: [String]) {
        let segmentSize = identity?.segmentSize ?? 16 << 20
        var problems: [String] = []
        var window: RecoverableWindow?
        // Oldest first: the first usable backup opens the window; the newest gives its end.
        for manifest in manifests.sorted(by: { $0.finishedAt < $1.finishedAt }) {
            guard let start = WALFileName(manifest.startSegment), let end = WALFileName(manifest.endSegment) else { continue }
            if let identity, identity.systemIdentifier != manifest.systemIdentifier {
                problems.append("base backup \(manifest.archive) is of database system \(manifest.systemIdentifier), the WAL archive of \(identity.systemIdentifier)")
                continue
            }
            let continuity = WALContinuity(files: files, start: start, segmentSize: segmentSize, history: history)
            guard continuity.covers(end, segmentSize: segmentSize), let last = continuity.lastContiguous else {
                let missing = continuity.gap?.text ?? WALFileName(timeline: end.timeline, segmentNumber: (continuity.lastContiguous?.name.segmentNumber(segmentSize: segmentSize)).map { $0 + 1 } ?? start.segmentNumber(segmentSize: segmentSize) ?? 0, segmentSize: segmentSize).text
                problems.append("base backup \(manifest.archive) cannot be restored: WAL segment \(missing) (needed through \(end.text)) is not archived")
                continue
            }
            if let gap = continuity.gap {
                problems.append("WAL segment \(gap.text) is missing: recovery from \(manifest.archive) stops at \(last.name.text)")
            }
            if window == nil {
                // The end segment may be archived just before the manifest is written: the window is then one moment.
                window = RecoverableWindow(from: manifest.finishedAt, to: max(last.archivedAt, manifest.finishedAt), oldestBaseBackup: manifest.archive, lastSegment: last.name.text, gap: continuity.gap?.text)
            } else if last.archivedAt >= window!.to {
                window!.to = last.archivedAt
                window!.lastSegment = last.name.text
                window!.gap = continuity.gap?.text
            }
        }
        var seen = Set<String>()
        return (window, problems.filter { seen.insert($0).inserted })
    }
}
