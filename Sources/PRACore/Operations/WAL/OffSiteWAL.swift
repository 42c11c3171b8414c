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
        guard let text = configuration[.remoteTarget] else { return nil }
        let stores = try OffSiteStores(text, configuration: configuration, timeout: monitoringTimeout)
        try makeScratch(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let local = WALArchive(backupDirectory: configuration.backupDirectory)
        let evaluation = OffSiteWALEvaluation(remote: RemoteWALArchive(store: stores.wal), scratch: scratch)
        var report = OffSiteWAL(target: stores.wal.description)
        let identity = try evaluation.identify(local: local)
        report.systemIdentifier = identity?.systemIdentifier
        let localFiles = local.files()
        let listing = try evaluation.list(archivedLocally: localFiles)
        report.filesListed = evaluation.files.count
        if readThrough { evaluation.readThrough(into: &report, progress: progress) }
        let manifests = try evaluation.baseBackups(on: stores.root, into: &report)
        let computed = RecoverableWindow.compute(manifests: manifests, files: evaluation.usableFiles, identity: identity, history: evaluation.history)
        report.window = computed.window
        report.problems += computed.problems
        if manifests.isEmpty {
            report.problems.append("no complete base backup of this cluster on \(stores.root.description): the off-site WAL alone cannot be restored")
        }
        // The lag: what the local archive holds that is not off-site.
        let queue = WALSyncQueue(local: localFiles, offSite: Set(listing.map(\.name)))
        report.pending = queue.pending.count
        report.queueBytes = queue.bytes
        report.lagSeconds = queue.lag(now: now)
        report.seconds = started.elapsed()
        return report
    }

    /// The target's root (base backups) and its `wal/` directory, each bounded for monitoring.
    struct OffSiteStores {
        let root: any RemoteStore
        let wal: any RemoteStore

        init(_ text: String, configuration: Configuration, timeout: Double?) throws(RemoteWALError) {
            do {
                let target = try RemoteTarget(text)
                root = OffSiteWAL.bounded(try target.store(configuration: configuration), timeout: timeout)
                wal = OffSiteWAL.bounded(try target.appending(WALArchive.directoryName).store(configuration: configuration), timeout: timeout)
            } catch {
                throw .remote(RemoteError(target: text, operation: "prepare", message: error.description))
            }
        }
    }

    /// A private directory for small downloads.
    static func makeScratch(_ path: String) throws(RemoteWALError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .file(FileError(operation: .mkdir, path: path, code: errno))
        }
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
