import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the off-site copy alone can recover (`REMOTE_TARGET`: base backups at its root, WAL in
/// `wal/`), and how far it trails the local archive: the WAL side of `pra verify --remote` and
/// the off-site checks of `pra status`.
///
/// Cost: one listing of `wal/` (S3: one request per 1,000 files), one of the root, one small
/// download per off-site base backup manifest and per timeline history file, and the marker.
/// `readThrough` (verify) also downloads and checks every WAL file.
public struct OffSiteWAL: Codable, Sendable {
    /// `REMOTE_TARGET/wal`, without secrets.
    public var target: String
    /// The database system the off-site copy belongs to (its `archive.json`).
    public var systemIdentifier: String?
    public var filesListed = 0
    /// Read through and checked (`readThrough` only).
    public var filesChecked = 0
    /// Files that fail their check: `name: reason`.
    public var corrupt: [String] = []
    /// Gaps, base backups off-site whose WAL is not off-site, foreign systems.
    public var problems: [String] = []
    /// The off-site base backups considered (this system's, complete: manifest present).
    public var baseBackups: [String] = []
    /// From the off-site copy alone.
    public var window: RecoverableWindow?
    /// Files archived locally and not off-site (from the local archive, when there is one).
    public var pending = 0
    public var queueBytes: UInt64 = 0
    /// How long the oldest file not yet off-site has been archived locally; 0 when none.
    public var lagSeconds: Double = 0
    public var seconds: Double = 0

    public var valid: Bool { corrupt.isEmpty && problems.isEmpty && window != nil }

    init(target: String) {
        self.target = target
    }

    /// Evaluates the off-site copy configured in `configuration`.
    /// - Parameters:
    ///   - readThrough: download and check every WAL file (verify); else trust the listing (status).
    ///   - monitoringTimeout: bound each store request (status must answer quickly).
    ///   - scratch: a private directory for small downloads (created, removed afterwards).
    public static func evaluate(configuration: Configuration, readThrough: Bool, monitoringTimeout: Double? = nil, scratch: String, now: Date = Date(), progress: ProgressReporter? = nil) throws(RemoteWALError) -> OffSiteWAL? {
        let started = MonotonicClock.now()
        guard let text = configuration["REMOTE_TARGET"] else { return nil }
        let rootStore: any RemoteStore
        let walStore: any RemoteStore
        do {
            let target = try RemoteTarget(text)
            rootStore = Self.bounded(try target.store(configuration: configuration), timeout: monitoringTimeout)
            walStore = Self.bounded(try target.appending(WALArchive.directoryName).store(configuration: configuration), timeout: monitoringTimeout)
        } catch {
            throw .remote(RemoteError(target: text, operation: "prepare", message: error.description))
        }
        let remote = RemoteWALArchive(store: walStore)
        var report = OffSiteWAL(target: walStore.description)
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .file(FileError(operation: .mkdir, path: scratch, code: errno))
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let local = WALArchive(backupDirectory: configuration.backupDirectory)
        let localIdentity = (try? local.identity()) ?? nil
        let marker = try remote.identity(scratch: scratch)
        if let marker, let localIdentity, marker.systemIdentifier != localIdentity.systemIdentifier {
            throw .foreignSystem(target: walStore.description, remoteSystem: marker.systemIdentifier, localSystem: localIdentity.systemIdentifier)
        }
        let identity = marker ?? localIdentity
        report.systemIdentifier = identity?.systemIdentifier

        let listing: [(name: String, modified: Date?)]
        do throws(RemoteError) {
            listing = try remote.listing()
        } catch {
            throw .remote(error)
        }
        let localFiles = local.files()
        let archivedAt = Dictionary(localFiles.map { (($0.path as NSString).lastPathComponent, $0.archivedAt) }, uniquingKeysWith: max)
        var files: [WALArchive.File] = []
        var entries: [String: RemoteWALArchive.Entry] = [:]
        for item in listing {
            guard let parsed = WALArchive.parse(fileName: item.name) else { continue }
            // The local archive time is closest to the WAL's content; else when it got off-site.
            let time = archivedAt[item.name] ?? item.modified ?? .distantPast
            files.append(WALArchive.File(name: parsed.name, sha256: parsed.sha256, path: "\(walStore.description)/\(item.name)", compressedBytes: 0, archivedAt: time))
            entries[item.name] = RemoteWALArchive.Entry(name: parsed.name, sha256: parsed.sha256)
        }
        files.sort { $0.name < $1.name }
        report.filesListed = files.count

        // Read through (verify): every file downloaded and checked; histories kept.
        var unusable = Set<String>()
        var histories: [UInt32: TimelineHistory] = [:]
        let checkFile = scratch + "/check"
        func check(_ entry: RemoteWALArchive.Entry) -> String? {
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
        if readThrough {
            var bytes: UInt64 = 0
            for file in files {
                guard let entry = entries[(file.path as NSString).lastPathComponent] else { continue }
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
        let usable = files.filter { !unusable.contains($0.path) }
        let history: (UInt32) -> TimelineHistory = { timeline in
            if let known = histories[timeline] { return known }
            guard timeline > 1, let file = usable.first(where: { $0.name.kind == .history && $0.name.timeline == timeline }),
                  let entry = entries[(file.path as NSString).lastPathComponent], check(entry) == nil, let known = histories[timeline] else {
                return TimelineHistory(rootTimeline: timeline)
            }
            return known
        }

        // Base backups off-site: this system's, complete (their pra manifest is uploaded last).
        var manifests: [BaseBackupManifest] = []
        let rootNames: Set<String>
        do throws(RemoteError) {
            rootNames = Set(try rootStore.list())
        } catch {
            throw .remote(error)
        }
        for name in rootNames.compactMap({ BackupArchiveName(fileName: $0, kind: .base) }).sorted(by: { $0.timestamp < $1.timestamp }) where rootNames.contains(name.manifestFileName) {
            let path = scratch + "/" + name.manifestFileName
            defer { unlink(path) }
            let manifest: BaseBackupManifest
            do {
                try rootStore.download(name.manifestFileName, to: path)
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
        let computed = RecoverableWindow.compute(manifests: manifests, files: usable, identity: identity, history: history)
        report.window = computed.window
        report.problems += computed.problems
        if manifests.isEmpty {
            report.problems.append("no complete base backup of this cluster on \(rootStore.description): the off-site WAL alone cannot be restored")
        }

        // The lag: what the local archive holds that is not off-site.
        let queue = WALSyncQueue(local: localFiles, offSite: Set(listing.map(\.name)))
        report.pending = queue.pending.count
        report.queueBytes = queue.bytes
        report.lagSeconds = queue.lag(now: now)
        report.seconds = started.elapsed()
        return report
    }

    /// The store asking at most twice and waiting at most `timeout` per request (S3); others as they are.
    static func bounded(_ store: any RemoteStore, timeout: Double?) -> any RemoteStore {
        guard let timeout else { return store }
        return store.bounded(timeout: timeout)
    }

    /// Lines for the terminal.
    public var summary: String {
        var lines = ["off-site WAL \(target): \(filesListed) files" + (filesChecked > 0 ? ", \(filesChecked) checked, \(corrupt.count) corrupt" : "") + ", \(baseBackups.count) base backup(s) off-site"]
        lines += corrupt.map { "  corrupt: \($0)" }
        lines += problems.map { "  problem: \($0)" }
        lines.append(window.map { "  from the off-site copy alone: \($0.sentence)" } ?? "  from the off-site copy alone: no point-in-time recovery possible")
        if pending > 0 {
            lines.append("  \(pending) archived file(s) (\(ByteCount.format(queueBytes))) not off-site yet; off-site lag \(DurationParser.format(lagSeconds))")
        }
        return lines.joined(separator: "\n")
    }
}
