import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The steps of ``OffSiteWAL/evaluate(configuration:readThrough:monitoringTimeout:scratch:now:progress:)``
/// over one off-site WAL copy: who it belongs to, what it lists, which files read back whole,
/// the timeline histories learnt on the way, and the off-site base backups of this system.
final class OffSiteWALEvaluation {
    let remote: RemoteWALArchive
    let scratch: String
    /// The system the copy belongs to: its marker, else the local archive's.
    private(set) var identity: WALArchive.Identity?
    /// Listed WAL files, by name; `path` is `target/file` for messages.
    private(set) var files: [WALArchive.File] = []
    private var entries: [String: RemoteWALArchive.Entry] = [:]
    /// Files that failed their read-through check (by `path`).
    private var unusable = Set<String>()
    private var histories: [UInt32: TimelineHistory] = [:]

    init(remote: RemoteWALArchive, scratch: String) {
        self.remote = remote
        self.scratch = scratch
    }

    /// The copy's system (its `archive.json`), refused when it is another system's than the
    /// local archive's.
    func identify(local: WALArchive) throws(RemoteWALError) -> WALArchive.Identity? {
        let localIdentity = (try? local.identity()) ?? nil
        let marker = try remote.identity(scratch: scratch)
        if let marker, let localIdentity, marker.systemIdentifier != localIdentity.systemIdentifier {
            throw .foreignSystem(target: remote.store.description, remoteSystem: marker.systemIdentifier, localSystem: localIdentity.systemIdentifier)
        }
        identity = marker ?? localIdentity
        return identity
    }

    /// Lists the off-site WAL; each file's time is its local archive time (closest to the WAL's
    /// content), else when it got off-site.
    func list(archivedLocally localFiles: [WALArchive.File]) throws(RemoteWALError) -> [(name: String, modified: Date?)] {
        let listing: [(name: String, modified: Date?)]
        do throws(RemoteError) {
            listing = try remote.listing()
        } catch {
            throw .remote(error)
        }
        let archivedAt = Dictionary(localFiles.map { (($0.path as NSString).lastPathComponent, $0.archivedAt) }, uniquingKeysWith: max)
        for item in listing {
            guard let parsed = WALArchive.parse(fileName: item.name) else { continue }
            let time = archivedAt[item.name] ?? item.modified ?? .distantPast
            files.append(WALArchive.File(name: parsed.name, sha256: parsed.sha256, path: "\(remote.store.description)/\(item.name)", compressedBytes: 0, archivedAt: time, codec: parsed.codec))
            entries[item.name] = RemoteWALArchive.Entry(name: parsed.name, sha256: parsed.sha256, codec: parsed.codec)
        }
        files.sort { $0.name < $1.name }
        return listing
    }

    /// Downloads and checks `entry`, keeping a timeline history's content; the problem, or `nil`.
    private func check(_ entry: RemoteWALArchive.Entry) -> String? {
        let checkFile = scratch + "/check"
        defer { unlink(checkFile) }
        do throws(RemoteWALError) {
            _ = try remote.fetch(entry, to: checkFile, identity: identity)
            if entry.name.kind == .history, let content = FileManager.default.contents(atPath: checkFile) {
                histories[entry.name.timeline] = TimelineHistory(timeline: entry.name.timeline, text: String(decoding: content, as: UTF8.self))
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    private func entry(of file: WALArchive.File) -> RemoteWALArchive.Entry? {
        entries[(file.path as NSString).lastPathComponent]
    }

    /// Verify: every file downloaded and checked; a damaged one is named and left out.
    func readThrough(into report: inout OffSiteWAL, progress: ProgressReporter?) {
        var bytes: UInt64 = 0
        for file in files {
            guard let entry = entry(of: file) else { continue }
            if let problem = check(entry) {
                report.corrupt.append("\(file.name.text): \(problem)")
                unusable.insert(file.path)
            }
            report.filesChecked += 1
            bytes += 16 << 20
            progress?.update(phase: "verify off-site WAL", bytes: bytes)
        }
        progress?.finish()
    }

    /// The listed files that did not fail a check.
    var usableFiles: [WALArchive.File] { files.filter { !unusable.contains($0.path) } }

    /// A timeline's history: read through already, else fetched and checked now; a timeline
    /// without a readable history is taken as a root.
    func history(_ timeline: UInt32) -> TimelineHistory {
        if let known = histories[timeline] { return known }
        guard timeline > 1, let file = usableFiles.first(where: { $0.name.kind == .history && $0.name.timeline == timeline }),
              let entry = entry(of: file), check(entry) == nil, let known = histories[timeline] else {
            return TimelineHistory(rootTimeline: timeline)
        }
        return known
    }

    /// Base backups off-site: this system's, complete (their pra manifest is uploaded last),
    /// oldest first; an unreadable manifest is a problem, another cluster's is passed over.
    func baseBackups(on root: any RemoteStore, into report: inout OffSiteWAL) throws(RemoteWALError) -> [BaseBackupManifest] {
        let rootNames: Set<String>
        do throws(RemoteError) {
            rootNames = Set(try root.list())
        } catch {
            throw .remote(error)
        }
        var manifests: [BaseBackupManifest] = []
        for name in rootNames.compactMap({ BackupArchiveName(fileName: $0, kind: .base) }).sorted(by: { $0.timestamp < $1.timestamp }) where rootNames.contains(name.manifestFileName) {
            let path = scratch + "/" + name.manifestFileName
            defer { unlink(path) }
            let manifest: BaseBackupManifest
            do {
                try root.download(name.manifestFileName, to: path)
                manifest = try BaseBackupManifest.load(path: path)
            } catch {
                report.problems.append("off-site base backup manifest \(name.manifestFileName) cannot be read: \(error)")
                continue
            }
            // Another cluster's base backups in a shared target are not this archive's concern.
            if let system = identity?.systemIdentifier, manifest.systemIdentifier != system { continue }
            manifests.append(manifest)
            report.baseBackups.append(manifest.archive)
        }
        return manifests
    }
}
