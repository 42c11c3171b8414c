import Foundation

/// Copies a complete backup (archive, then manifest) to `REMOTE_TARGET`, reads each back
/// (size and SHA-256) before it is renamed into place there, then applies retention to the
/// remote copies; and fetches remote backups for `pra restore`.
///
/// The remote side follows the local contract: a manifest is written last and marks a
/// complete backup; an upload that does not read back identical is removed.
public struct RemoteCopyOperation: Sendable {
    public let store: any RemoteStore
    public var retention: RetentionPolicy?

    public init(store: any RemoteStore, retention: RetentionPolicy? = nil) {
        self.store = store
        self.retention = retention
    }

    /// The operation `configuration` asks for; `nil` when `REMOTE_TARGET` is unset.
    public init?(configuration: Configuration) throws(ConfigurationError) {
        guard let text = configuration["REMOTE_TARGET"] else { return nil }
        let store = try RemoteTarget(text).store(configuration: configuration)
        let retention = RetentionPolicy(retentionDays: try configuration.integer("BACKUP_RETENTION_DAYS", range: 0...36500),
                                        minimumKept: try configuration.integer("BACKUP_MIN_KEEP", range: 1...100_000))
        self.init(store: store, retention: retention)
    }

    /// Copies `archivePath` and its manifest. The local files are never touched.
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
        do throws(RemoteError) {
            try store.prepare()
            // The manifest last: a backup is complete on the target only once its manifest is there.
            try store.put(archivePath, as: archive, expected: archiveDigest)
            try store.put(manifestPath, as: manifestName, expected: manifestDigest)
        } catch {
            throw OperationFailure(stage: "remote copy", message: error.description)
        }
        var warnings: [String] = []
        let deleted = applyRetention(now: now, warnings: &warnings)
        return RemoteCopyResult(target: store.description, archive: archive, manifest: manifestName, bytes: archiveDigest.size,
                                sha256: archiveDigest.sha256, seconds: started.elapsed(), deletedByRetention: deleted, warnings: warnings)
    }

    /// Complete backups on the target (archive and manifest both there), newest first.
    public func completeBackups() throws(RemoteError) -> [BackupArchiveName] {
        let names = Set(try store.list())
        return names.compactMap { BackupArchiveName(fileName: $0) }
            .filter { names.contains($0.manifestFileName) }
            .sorted { $0.timestamp > $1.timestamp }
    }

    /// Deletes remote backups that retention expires (manifest first, so a crash leaves an
    /// incomplete copy, never a complete-looking one without data). Problems become warnings.
    func applyRetention(now: Date, warnings: inout [String]) -> [String] {
        guard let retention else { return [] }
        do throws(RemoteError) {
            let complete = try completeBackups()
            let expired = Set(retention.expired(complete.map(\.timestamp), now: now))
            var deleted: [String] = []
            for name in complete where expired.contains(name.timestamp) {
                try store.delete([name.manifestFileName])
                try store.delete([name.fileName])
                deleted.append(name.fileName)
            }
            return deleted
        } catch {
            warnings.append("remote retention: \(error)")
            return []
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
