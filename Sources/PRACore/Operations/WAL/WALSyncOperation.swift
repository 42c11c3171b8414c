import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pra wal sync`: copies every locally archived WAL file that is not off-site yet to
/// `REMOTE_TARGET/wal/`, oldest first, `WAL_SYNC_JOBS` at a time, each checked by the store
/// (``RemoteStore/put(_:as:expected:)``: a file exists off-site under its name only once it
/// holds exactly the local bytes) and retried with backoff.
///
/// The copier of the asynchronous mode (`WAL_REMOTE_MODE=async`): `wal push` archives locally
/// and starts it (``startInBackground(configuration:)``); a timer or cron job may run it too.
/// One runs at a time per `BACKUP_DIR` (a lock in `wal/`); a push that finds one running
/// leaves a note (`wal/.sync-pending`) which makes the running one look again before it exits,
/// so no archived file waits for the next push. Killed at any moment, it leaves nothing off-site
/// that looks complete but is not; the next run copies what is missing. It lists the target
/// once per run and reads its marker (`archive.json`): files of another database system are
/// never mixed in.
public struct WALSyncOperation {
    public static let lockFileName = ".sync.lock"

    /// The lock file of the one `pra wal sync` per archive.
    static func lockPath(archiveRoot: String) -> String { (archiveRoot as NSString).appendingPathComponent(lockFileName) }
    public static let pendingFileName = ".sync-pending"
    public static let alertStateFileName = ".sync-queue-alert"
    public static let retentionStampFileName = ".offsite-retention"

    public var configuration: Configuration
    /// How long one file keeps being retried (backoff 1 s doubling to 30 s) before the run
    /// gives up on it; the next run (the next push, the timer) starts over.
    public var retryBudget: Double = 60
    /// Wait for a running sync to finish instead of leaving at once.
    public var waitForLock = false
    /// How often off-site WAL retention runs (seconds; 0: every run).
    public var retentionInterval: Double = 3600

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func run() throws(OperationFailure) -> WALSyncResult {
        let started = MonotonicClock.now()
        let settings = try SyncSettings(configuration)
        let archive = WALArchive(backupDirectory: configuration.backupDirectory)
        var result = WALSyncResult(target: settings.remote.store.description)
        let identity: WALArchive.Identity
        do {
            guard let found = try archive.identity() else {
                result.seconds = started.elapsed()
                return result  // nothing archived yet
            }
            identity = found
        } catch {
            throw OperationFailure(stage: "wal sync", message: error.description)
        }
        guard var state = try copyRounds(settings, archive: archive, identity: identity, result: &result) else {
            result.seconds = started.elapsed()
            return result
        }
        if state.failures.isEmpty {
            result.retentionDeleted = applyRetention(identity: identity, root: archive.root, warnings: &result.alerts)
            state.offSite.subtract(result.retentionDeleted)
        }
        try finish(&result, state: state, settings: settings, archive: archive, started: started)
        return result
    }

    /// The settings a sync reads, checked once.
    struct SyncSettings {
        var remote: RemoteWALArchive
        var jobs: Int
        /// `WAL_REMOTE_QUEUE_LIMIT` in bytes (0: none).
        var limit: UInt64

        init(_ configuration: Configuration) throws(OperationFailure) {
            do {
                guard let configured = try RemoteWALArchive(configuration: configuration) else {
                    throw ConfigurationError("REMOTE_TARGET is not set: pra wal sync has nowhere to copy the WAL archive to")
                }
                remote = configured
                jobs = try configuration.integer(.walSyncJobs)
                limit = try WALSyncOperation.queueLimit(configuration)
            } catch {
                throw OperationFailure(stage: "configuration", error)
            }
        }
    }

    /// What the copying rounds left: the files known off-site and the copies that failed.
    struct SyncState {
        var offSite: Set<String> = []
        var failures: [String] = []
        /// The last time the local archive was looked at.
        var lastLook = Date()
    }

    /// Copies under the sync lock until the queue is empty, looking again (at most 10 rounds)
    /// when a push left a note after the last look; `nil` when another run held the lock (the
    /// store was never listed).
    func copyRounds(_ settings: SyncSettings, archive: WALArchive, identity: WALArchive.Identity, result: inout WALSyncResult) throws(OperationFailure) -> SyncState? {
        var state = SyncState()
        var listed = false
        var rounds = 0
        while true {
            rounds += 1
            let lock: FileLock
            do {
                guard let taken = try FileLock(path: Self.lockPath(archiveRoot: archive.root), wait: waitForLock && rounds == 1) else {
                    if rounds == 1 { result.skipped = "another pra wal sync is running for \(archive.root)" }
                    break
                }
                lock = taken
            } catch {
                throw OperationFailure(stage: "wal sync", error)
            }
            if !listed {
                state.offSite = try listOffSite(settings, archive: archive, identity: identity)
                listed = true
            }
            drain(settings, archive: archive, state: &state, result: &result)
            withExtendedLifetime(lock) {}
            // A push between the last look and the release found the lock held and started
            // nobody: look again, unless another run took over.
            guard state.failures.isEmpty, rounds < 10, Self.noteIsNewer(than: state.lastLook, root: archive.root) else { break }
        }
        return listed ? state : nil
    }

    /// Prepares the store, claims it for this system and lists what is off-site already.
    func listOffSite(_ settings: SyncSettings, archive: WALArchive, identity: WALArchive.Identity) throws(OperationFailure) -> Set<String> {
        let remote = settings.remote
        do {
            try remote.store.prepare()
            try remote.claim(identity, markerPath: archive.identityPath, scratch: archive.root)
            return Set(try remote.listing().map(\.name))
        } catch {
            // The store cannot be asked: the queue can only have grown since the last look.
            let warnings = Self.alertWhileUnreachable(configuration: configuration, limit: settings.limit, target: remote.store.description, archive: archive)
            let line = (error as? RemoteWALError)?.description ?? (error as? RemoteError)?.description ?? "\(error)"
            throw OperationFailure(stage: "wal sync", message: line + (warnings.isEmpty ? "" : "; " + warnings.joined(separator: "; ")))
        }
    }

    /// Copies what the local archive holds and the store does not, look after look, until a
    /// look finds nothing pending (and no push note newer than it) or a copy fails.
    func drain(_ settings: SyncSettings, archive: WALArchive, state: inout SyncState, result: inout WALSyncResult) {
        let target = settings.remote.store.description
        while true {
            state.lastLook = Date()
            let queue = WALSyncQueue(local: archive.files(), offSite: state.offSite)
            // Kept at every look: status bounds the lag from it when the store stops answering.
            OffSiteLagRecord(measuredAt: state.lastLook, lagSeconds: queue.lag(now: state.lastLook), target: target, queueBytes: queue.bytes).save(backupDirectory: configuration.backupDirectory)
            if queue.pending.isEmpty {
                // A push that found this run holding the lock left a note after archiving:
                // a note newer than this look may name a file the look missed.
                if Self.noteIsNewer(than: state.lastLook, root: archive.root) {
                    Thread.sleep(forTimeInterval: 0.2)
                    continue
                }
                return
            }
            let outcome = copy(queue.pending, to: settings.remote.store, jobs: settings.jobs)
            state.offSite.formUnion(outcome.copied.map { ($0.path as NSString).lastPathComponent })
            result.copied += outcome.copied.count
            result.bytes += outcome.copied.reduce(0) { $0 + $1.compressedBytes }
            if !outcome.failures.isEmpty {
                state.failures = outcome.failures
                return
            }
        }
    }

    /// The queue left behind (kept for status), the alerts it calls for, and the failure, if any.
    func finish(_ result: inout WALSyncResult, state: SyncState, settings: SyncSettings, archive: WALArchive, started: MonotonicClock) throws(OperationFailure) {
        let target = settings.remote.store.description
        let queue = WALSyncQueue(local: archive.files(), offSite: state.offSite)
        result.pending = queue.pending.count
        result.queueBytes = queue.bytes
        result.queueLimit = settings.limit
        result.lagSeconds = queue.lag(now: Date())
        OffSiteLagRecord(measuredAt: Date(), lagSeconds: result.lagSeconds, target: target, queueBytes: queue.bytes).save(backupDirectory: configuration.backupDirectory)
        result.failures = state.failures
        result.alerts += Self.alertOnQueue(bytes: queue.bytes, files: queue.pending.count, lag: queue.lag(now: Date()), limit: settings.limit, configuration: configuration, target: target, directory: archive.root)
        result.seconds = started.elapsed()
        if !state.failures.isEmpty {
            throw OperationFailure(stage: "wal sync", message: "\(state.failures.count) WAL file(s) could not be copied to \(target) (\(queue.pending.count) waiting, \(ByteCount.format(queue.bytes)), off-site lag \(DurationParser.format(result.lagSeconds))); the next run retries: \(state.failures[0])")
        }
    }

    /// Off-site WAL retention (``RemoteWALRetention``), at most once per ``retentionInterval``
    /// (it lists the target's root and reads each base backup manifest there).
    func applyRetention(identity: WALArchive.Identity, root: String, warnings: inout [String]) -> [String] {
        let stamp = (root as NSString).appendingPathComponent(Self.retentionStampFileName)
        if let last = (try? FileManager.default.attributesOfItem(atPath: stamp))?[.modificationDate] as? Date,
           Date().timeIntervalSince(last) < retentionInterval, last.timeIntervalSinceNow < 1 { return [] }
        do {
            guard let retention = try RemoteWALRetention(configuration: configuration, systemIdentifier: identity.systemIdentifier) else { return [] }
            let deleted = try retention.apply(scratch: root, warnings: &warnings)
            try? DurableFile.write(Data(), to: stamp)
            return deleted
        } catch {
            warnings.append("off-site WAL retention failed (tried again at the next run): \(error)")
            return []
        }
    }

    /// Copies `files` in order, `jobs` at a time; each retried with backoff within ``retryBudget``.
    /// After the first file that fails for good, no new copy starts: the off-site copy stays
    /// gap-free as far as it goes.
    func copy(_ files: [WALArchive.File], to store: any RemoteStore, jobs: Int) -> (copied: [WALArchive.File], failures: [String]) {
        let state = SyncProgress(files: files)
        let budget = retryBudget
        let group = DispatchGroup()
        for _ in 0..<min(jobs, files.count) {
            group.enter()
            Thread {
                while let file = state.next() {
                    let name = (file.path as NSString).lastPathComponent
                    let deadline = MonotonicClock.now()
                    var delay = 1.0
                    while true {
                        do throws(RemoteError) {
                            let digest: FileDigest
                            do throws(FileError) {
                                digest = try FileDigest(path: file.path)
                            } catch {
                                // Removed by local retention meanwhile: nothing to copy.
                                if error.code == ENOENT { break }
                                throw RemoteError(target: store.description, operation: "upload", file: name, message: error.description)
                            }
                            try store.put(file.path, as: name, expected: digest)
                            state.done(file)
                            break
                        } catch {
                            if deadline.elapsed() + delay > budget {
                                state.failed(error.description)
                                break
                            }
                            Thread.sleep(forTimeInterval: delay)
                            delay = min(delay * 2, 30)
                        }
                    }
                }
                group.leave()
            }.start()
        }
        group.wait()
        return state.outcome
    }

    /// `WAL_REMOTE_QUEUE_LIMIT` in bytes (0: none).
    public static func queueLimit(_ configuration: Configuration) throws(ConfigurationError) -> UInt64 {
        try configuration.bytes(.walRemoteQueueLimit) ?? 0
    }

    /// `WAL_REMOTE_MODE`: true for `async`.
    public static func isAsynchronous(_ configuration: Configuration) throws(ConfigurationError) -> Bool {
        try configuration.choice(.walRemoteMode) == "async"
    }

    /// The queue alert when the store cannot be listed: from the last measurement plus what was
    /// archived since (an upper bound: nothing can have gone off-site meanwhile).
    static func alertWhileUnreachable(configuration: Configuration, limit: UInt64, target: String, archive: WALArchive) -> [String] {
        guard let record = OffSiteLagRecord.load(backupDirectory: configuration.backupDirectory) else { return [] }
        let local = archive.files()
        let bytes = record.queueBound(local: local)
        let files = local.filter { $0.archivedAt > record.measuredAt }.count
        return alertOnQueue(bytes: bytes, files: files, lag: record.bound(now: Date()), limit: limit, configuration: configuration, target: target, directory: archive.root, atLeast: true)
    }

    /// Alerts once when the queue goes over `limit` and once when it is back under (state in
    /// `wal/.sync-queue-alert`, moved only when an alert got through); lines for the log.
    /// `atLeast`: the figures are bounds (the store could not be asked): no "back under" then.
    static func alertOnQueue(bytes: UInt64, files: Int, lag: Double, limit: UInt64, configuration: Configuration, target: String, directory: String, atLeast: Bool = false) -> [String] {
        let statePath = (directory as NSString).appendingPathComponent(alertStateFileName)
        let alerted = FileManager.default.fileExists(atPath: statePath)
        let over = limit > 0 && bytes > limit
        let message = queueMessage(bytes: bytes, files: files, lag: lag, limit: limit, target: target, atLeast: atLeast)
        if atLeast && !over { return [] }
        guard over != alerted else { return over ? [message] : [] }
        let dispatcher = AlertDispatcher(configuration: configuration)
        var lines = over ? [message] : []
        guard dispatcher.isEnabled else { return lines }
        let detail = over ? message : "the off-site WAL queue is back under WAL_REMOTE_QUEUE_LIMIT (\(ByteCount.format(bytes)) waiting)"
        let deliveries = dispatcher.send(Alert(kind: over ? .failure : .recovery, command: "wal sync", what: over ? "off-site WAL queue over its limit" : "off-site WAL queue drained", location: target, detail: detail))
        if deliveries.contains(where: \.delivered) {
            if over {
                try? DurableFile.write(Data(message.utf8), to: statePath)
            } else {
                unlink(statePath)
            }
        }
        lines += dispatcher.warnings(for: deliveries)
        return lines
    }

    static func queueMessage(bytes: UInt64, files: Int, lag: Double, limit: UInt64, target: String, atLeast: Bool) -> String {
        let amount = atLeast ? "up to \(ByteCount.format(bytes))" : "\(ByteCount.format(bytes)) (\(files) files)"
        return "\(amount) of archived WAL wait to go to \(target), over WAL_REMOTE_QUEUE_LIMIT=\(ByteCount.format(limit)): losing the site now loses \(atLeast ? "up to " : "")\(DurationParser.format(lag)) of WAL; the primary keeps archiving locally"
    }

    // MARK: the note a push leaves for a running sync, and starting one

    static func pendingNotePath(_ root: String) -> String { (root as NSString).appendingPathComponent(pendingFileName) }

    /// Whether a push left its note after `date` (less a second: file times are coarse).
    static func noteIsNewer(than date: Date, root: String) -> Bool {
        guard let time = (try? FileManager.default.attributesOfItem(atPath: pendingNotePath(root)))?[.modificationDate] as? Date else { return false }
        return time >= date.addingTimeInterval(-1) && time.timeIntervalSinceNow < 1
    }

    /// After a push in async mode: leaves the note, and starts `pra wal sync` in its own session
    /// (it outlives the push; its errors go to the push's stderr, the server log) unless one is
    /// running. Returns what it did, for `--verbose`.
    @discardableResult
    public static func startInBackground(configuration: Configuration, executable: String = RunningExecutable.path) -> String {
        let root = WALArchive(backupDirectory: configuration.backupDirectory).root
        let fd = open(pendingNotePath(root), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o640)
        if fd >= 0 { close(fd) }
        if FileLock.isHeld(path: lockPath(archiveRoot: root)) { return "pra wal sync is running: it copies this file too" }
        var arguments = ["wal", "sync", "--quiet", "--backup-dir", configuration.backupDirectory]
        if let envFile = configuration.envFilePath { arguments += ["--env-file", envFile] }
        let result = DetachedProcess.start(executable: executable, arguments: arguments)
        switch result {
        case .success(let pid): return "started pra wal sync (pid \(pid))"
        case .failure(let error): return "cannot start pra wal sync: \(String(cString: strerror(error.code.rawValue))); the next push or the timer copies this file"
        }
    }
}

/// Which files one sync run copied, handed out in order to its workers.
final class SyncProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let files: [WALArchive.File]
    private var index = 0
    private var copied: [WALArchive.File] = []
    private var failures: [String] = []

    init(files: [WALArchive.File]) {
        self.files = files
    }

    func next() -> WALArchive.File? {
        lock.lock(); defer { lock.unlock() }
        guard failures.isEmpty, index < files.count else { return nil }
        index += 1
        return files[index - 1]
    }

    func done(_ file: WALArchive.File) {
        lock.lock(); defer { lock.unlock() }
        copied.append(file)
    }

    func failed(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        failures.append(message)
    }

    var outcome: (copied: [WALArchive.File], failures: [String]) {
        lock.lock(); defer { lock.unlock() }
        return (copied, failures)
    }
}
