import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Copies a complete backup (archive, then manifest) to `REMOTE_TARGET`, reads each back
/// (size and SHA-256) before it is renamed into place there, then applies retention to the
/// remote copies; and fetches remote backups for `pra restore`.
///
/// The remote side follows the local contract: a manifest is written last and marks a
/// complete backup; an upload that does not read back identical is removed.
public struct RemoteCopyOperation: Sendable {
    public let store: any RemoteStore
    public var retention: RetentionPolicy?
    /// How long ``copy(archivePath:manifestPath:now:)`` waits for the backup lock of the local
    /// backup's directory (another backup of that directory running) before giving up.
    public var lockTimeout: Double = 6 * 3600
    /// An archive without manifest is removed by retention only once it is this old: a copy of
    /// the same database running elsewhere may be between its archive and its manifest.
    public var orphanGrace: Double = 86400

    public init(store: any RemoteStore, retention: RetentionPolicy? = nil) {
        self.store = store
        self.retention = retention
    }

    /// The operation `configuration` asks for; `nil` when `REMOTE_TARGET` is unset.
    public init?(configuration: Configuration) throws(ConfigurationError) {
        guard let text = configuration[.remoteTarget] else { return nil }
        let store = try RemoteTarget(text).store(configuration: configuration)
        self.init(store: store, retention: try .fullBackups(configuration))
        // A backup may hold the lock for as long as BACKUP_TIMEOUT allows (0: no limit).
        let timeout = try configuration.seconds(.backupTimeout)
        lockTimeout = timeout > 0 ? timeout : .infinity
    }

    /// Copies `archivePath` and its manifest. The local files are never touched.
    ///
    /// Runs under the backup lock of the archive's directory (waiting up to ``lockTimeout`` for
    /// another backup to finish): two copies never run side by side, so one's retention or
    /// clean-up of stale uploads cannot meet the other's upload in flight.
    public func copy(archivePath: String, manifestPath: String, now: Date = Date()) throws(OperationFailure) -> RemoteCopyResult {
        let started = MonotonicClock.now()
        let archive = (archivePath as NSString).lastPathComponent
        let manifestName = (manifestPath as NSString).lastPathComponent
        let archiveDigest: FileDigest
        let manifestDigest: FileDigest
        do {
            archiveDigest = try FileDigest(path: archivePath)
            manifestDigest = try FileDigest(path: manifestPath)
        } catch {
            throw OperationFailure(stage: "remote copy", message: "cannot read the local backup: \(error)")
        }
        // Whose backup this is: what retention and the upload clean-up are limited to.
        let owner = BackupArchiveName(fileName: archive).flatMap { name in
            (try? BackupManifest.load(path: manifestPath)).map { (database: $0.database, prefix: name.prefix) }
        }
        let lock = try Self.waitForBackupLock(directory: (archivePath as NSString).deletingLastPathComponent, timeout: lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        // Stale multipart uploads are aborted for this database's archive names only.
        let target = store.scoped(toArchivePrefix: owner?.prefix)
        do throws(RemoteError) {
            try target.prepare()
            // The manifest last: a backup is complete on the target only once its manifest is there.
            try target.put(archivePath, as: archive, expected: archiveDigest)
            try target.put(manifestPath, as: manifestName, expected: manifestDigest)
        } catch {
            throw OperationFailure(stage: "remote copy", message: error.description)
        }
        var warnings: [String] = []
        var deleted: [String] = []
        if let owner {
            deleted = applyRetention(database: owner.database, prefix: owner.prefix, now: now, warnings: &warnings)
        } else if retention != nil {
            warnings.append("remote retention skipped: \(manifestName) does not say which database \(archive) belongs to, so no remote copy can be attributed")
        }
        return RemoteCopyResult(target: store.description, archive: archive, manifest: manifestName, bytes: archiveDigest.size,
                                sha256: archiveDigest.sha256, seconds: started.elapsed(), deletedByRetention: deleted, warnings: warnings)
    }

    /// Takes the backup lock of `directory`, polling while another backup holds it.
    static func waitForBackupLock(directory: String, timeout: Double) throws(OperationFailure) -> BackupLock {
        let started = MonotonicClock.now()
        while true {
            do {
                return try BackupLock(directory: directory)
            } catch ArchiveError.locked(_, let holder) {
                guard started.elapsed() < timeout else {
                    throw OperationFailure(stage: "remote copy", message: "another backup (\(holder)) still holds the lock of \(directory) after \(DurationParser.format(timeout)); the copy did not start")
                }
                usleep(250_000)
            } catch {
                throw OperationFailure(stage: "remote copy", message: "cannot take the backup lock of \(directory): \(error)")
            }
        }
    }

    /// Complete backups on the target (archive and manifest both there), newest first.
    public func completeBackups() throws(RemoteError) -> [BackupArchiveName] {
        let names = Set(try store.list())
        return names.compactMap { BackupArchiveName(fileName: $0) }
            .filter { names.contains($0.manifestFileName) }
            .sorted { $0.timestamp > $1.timestamp }
    }

    /// Deletes the remote backups of `database` that retention expires (manifest first, so a
    /// crash leaves an incomplete copy, never a complete-looking one without data), and this
    /// database's archives left without a manifest once a newer complete backup exists.
    ///
    /// Only `database`'s copies are considered, as local retention does: archive prefix `prefix`
    /// AND a manifest, read from the target, naming `database`. Another database's copies, and
    /// copies whose manifest cannot be read, are never deleted: a target is often shared, and
    /// one database's retention must not erase another's only off-site copy. Problems become warnings.
    func applyRetention(database: String, prefix: String, now: Date, warnings: inout [String]) -> [String] {
        guard let retention else { return [] }
        do throws(RemoteError) {
            let names = Set(try store.list())
            let candidates = names.compactMap { BackupArchiveName(fileName: $0) }.filter { $0.prefix == prefix }
            var owned: [BackupArchiveName] = []
            var orphans: [BackupArchiveName] = []
            for name in candidates {
                guard names.contains(name.manifestFileName) else {
                    orphans.append(name)
                    continue
                }
                switch manifestDatabase(of: name) {
                case .success(let owner) where owner == database: owned.append(name)
                case .success: break  // another database sharing the prefix
                case .failure(let problem): warnings.append("remote retention keeps \(name.fileName): \(problem)")
                }
            }
            let expired = Set(retention.expired(owned.map(\.timestamp), now: now))
            var deleted: [String] = []
            for name in owned.sorted(by: { $0.timestamp > $1.timestamp }) where expired.contains(name.timestamp) {
                try store.delete([name.manifestFileName])
                try store.delete([name.fileName])
                deleted.append(name.fileName)
            }
            // An archive whose manifest never arrived (a copy killed between the two, a lost reply)
            // is no backup, and nothing else would ever remove it.
            if let newest = owned.map(\.timestamp).max() {
                for orphan in orphans.sorted(by: { $0.timestamp > $1.timestamp })
                where orphan.timestamp < newest && now.timeIntervalSince(orphan.timestamp) >= orphanGrace {
                    try store.delete([orphan.fileName])
                    deleted.append(orphan.fileName)
                }
            }
            return deleted
        } catch {
            warnings.append("remote retention: \(error)")
            return []
        }
    }

    /// The `database` of `name`'s manifest on the target, or why it cannot be told.
    func manifestDatabase(of name: BackupArchiveName) -> Result<String, RemoteError> {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("pra-remote-manifest.XXXXXX")
        // A private directory (mkdtemp: mode 700): the manifest is read back from where no one else writes.
        guard let directory = template.withCString({ pattern -> String? in
            guard let buffer = strdup(pattern) else { return nil }
            defer { free(buffer) }
            return mkdtemp(buffer).map { String(cString: $0) }
        }) else {
            return .failure(RemoteError(target: store.description, operation: "download", file: name.manifestFileName, message: "cannot create a private scratch directory in \(NSTemporaryDirectory())"))
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        do {
            try store.download(name.manifestFileName, to: path)
            return .success(try BackupManifest.load(path: path).database)
        } catch let error as RemoteError {
            return .failure(error)
        } catch {
            return .failure(RemoteError(target: store.description, operation: "download", file: name.manifestFileName, message: "\(error)"))
        }
    }

    /// Downloads `name` and its manifest into `directory`; returns the local archive path.
    public func fetch(_ name: BackupArchiveName, into directory: String) throws(RemoteError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw RemoteError(target: store.description, operation: "download", file: name.fileName, message: "cannot create \(directory): \(error.localizedDescription)")
        }
        let archive = (directory as NSString).appendingPathComponent(name.fileName)
        try store.download(name.manifestFileName, to: archive + BackupArchiveName.manifestSuffix)
        try store.download(name.fileName, to: archive)
        return archive
    }
}
