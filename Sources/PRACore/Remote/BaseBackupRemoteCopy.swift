import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Base backups off-site: the copy `pra backup --base` makes of each base backup, the
/// retention of those copies, and what `pra restore --pitr` fetches back.
///
/// Layout (shared with the dump copies and the WAL copy): the archive, PostgreSQL's
/// `.backup_manifest` and the pra `.manifest.json` sit at the root of `REMOTE_TARGET` under
/// their names in `BACKUP_DIR`; the pra manifest is uploaded last, so its presence marks the
/// off-site copy complete. Each upload is read back (size and SHA-256, or the store's own
/// SHA-256 check) before the next one starts.
extension RemoteCopyOperation {
    /// A complete off-site base backup: its name and the pra manifest read from the target.
    public struct RemoteBaseBackup: Sendable {
        public let name: BackupArchiveName
        public let manifest: BaseBackupManifest
    }

    /// The operation for base backups `configuration` asks for (`nil` when `REMOTE_TARGET` is
    /// unset): retention by `BASE_BACKUP_RETENTION_DAYS` / `BASE_BACKUP_MIN_KEEP`, as locally.
    public static func forBaseBackups(configuration: Configuration) throws(ConfigurationError) -> RemoteCopyOperation? {
        guard var operation = try RemoteCopyOperation(configuration: configuration) else { return nil }
        operation.retention = try .baseBackups(configuration)
        return operation
    }

    /// Copies the complete base backup at `archivePath` (archive, then PostgreSQL's
    /// `backup_manifest`, then the pra manifest), each read back before the next; then applies
    /// retention to this cluster's off-site base backups. The local files are never touched.
    ///
    /// The caller holds the backup lock of the archive's directory (``BaseBackupOperation``
    /// copies before it releases it): no other backup's retention or clean-up can meet this
    /// upload in flight, as for the dump copies.
    public func copyBase(archivePath: String, now: Date = Date()) throws(OperationFailure) -> RemoteCopyResult {
        let started = MonotonicClock.now()
        let archive = (archivePath as NSString).lastPathComponent
        let postgresManifestPath = archivePath + BaseBackupManifest.postgresManifestSuffix
        let manifestPath = archivePath + BackupArchiveName.manifestSuffix
        let rangeMapPath = archivePath + RangeMap.fileSuffix
        // The range map (taken by every pra base backup since incrementals) travels too.
        let files = [archivePath, postgresManifestPath] + (FileManager.default.fileExists(atPath: rangeMapPath) ? [rangeMapPath] : []) + [manifestPath]
        let digests: [FileDigest]
        let manifest: BaseBackupManifest
        do {
            digests = try files.map { path throws(FileError) in try FileDigest(path: path) }
            manifest = try BaseBackupManifest.load(path: manifestPath)
        } catch {
            throw OperationFailure(stage: "remote copy", message: "cannot read the local base backup: \(error)")
        }
        guard let name = BackupArchiveName(fileName: archive, kind: .base) else {
            throw OperationFailure(stage: "remote copy", message: "\(archive) is not a base backup archive name")
        }
        // Stale multipart uploads are aborted for this database's archive names only.
        let target = store.scoped(toArchivePrefix: name.prefix)
        do throws(RemoteError) {
            try target.prepare()
            // The pra manifest last: the off-site copy is complete only once it is there.
            for (path, digest) in zip(files, digests) {
                try target.put(path, as: (path as NSString).lastPathComponent, expected: digest)
            }
        } catch {
            throw OperationFailure(stage: "remote copy", message: error.description)
        }
        var warnings: [String] = []
        let deleted = applyBaseRetention(database: manifest.database, systemIdentifier: manifest.systemIdentifier, prefix: name.prefix, now: now, warnings: &warnings)
        return RemoteCopyResult(target: store.description, archive: archive, manifest: (manifestPath as NSString).lastPathComponent, bytes: digests[0].size,
                                sha256: digests[0].sha256, seconds: started.elapsed(), deletedByRetention: deleted, warnings: warnings)
    }

    /// Deletes the off-site base backups of this cluster's `database` that retention expires
    /// (pra manifest first, so a crash leaves an incomplete copy, never a complete-looking one
    /// without data), and this database's archives left without a manifest once a newer
    /// complete copy exists and ``orphanGrace`` has passed.
    ///
    /// Only copies whose manifest, read from the target, names `database` AND `systemIdentifier`
    /// count: several clusters (or databases) sharing one target never expire each other's
    /// copies, and a copy whose manifest cannot be read is kept (with a warning). Dumps are
    /// never considered (another archive kind). An orphan has no manifest to attribute it; it is
    /// no restorable backup for anyone, and is removed under the same rule as a dump orphan.
    func applyBaseRetention(database: String, systemIdentifier: String, prefix: String, now: Date, warnings: inout [String]) -> [String] {
        guard let retention else { return [] }
        do throws(RemoteError) {
            let names = Set(try store.list())
            let candidates = names.compactMap { BackupArchiveName(fileName: $0, kind: .base) }.filter { $0.prefix == prefix }
            var owned: [BackupArchiveName] = []
            var orphans: [BackupArchiveName] = []
            // Incremental -> its reference: a kept incremental keeps its chain off-site too.
            var references: [String: String] = [:]
            for name in candidates {
                guard names.contains(name.manifestFileName) else {
                    orphans.append(name)
                    continue
                }
                switch remoteBaseManifest(of: name) {
                case .success(let manifest) where manifest.database == database && manifest.systemIdentifier == systemIdentifier:
                    owned.append(name)
                    references[name.fileName] = manifest.incrementalFrom?.archive
                case .success: break  // another database or another cluster sharing the target
                case .failure(let problem): warnings.append("remote retention keeps \(name.fileName): \(problem)")
                }
            }
            var expired = Set(retention.expired(owned.map(\.timestamp), now: now))
            var needed = Set<String>()
            for name in owned where !expired.contains(name.timestamp) {
                var link: String? = references[name.fileName]
                while let reference = link, needed.insert(reference).inserted { link = references[reference] }
            }
            expired = expired.filter { timestamp in !owned.contains { $0.timestamp == timestamp && needed.contains($0.fileName) } }
            var deleted: [String] = []
            for name in owned.sorted(by: { $0.timestamp > $1.timestamp }) where expired.contains(name.timestamp) {
                try store.delete([name.manifestFileName])
                try store.delete([name.fileName, name.fileName + BaseBackupManifest.postgresManifestSuffix, name.fileName + RangeMap.fileSuffix])
                deleted.append(name.fileName)
            }
            if let newest = owned.map(\.timestamp).max() {
                for orphan in orphans.sorted(by: { $0.timestamp > $1.timestamp })
                where orphan.timestamp < newest && now.timeIntervalSince(orphan.timestamp) >= orphanGrace {
                    try store.delete([orphan.fileName, orphan.fileName + BaseBackupManifest.postgresManifestSuffix, orphan.fileName + RangeMap.fileSuffix])
                    deleted.append(orphan.fileName)
                }
            }
            return deleted
        } catch {
            warnings.append("remote retention: \(error)")
            return []
        }
    }

    /// Complete off-site base backups (archive, PostgreSQL's manifest and a readable pra
    /// manifest all there), newest first; only those of `database` and `systemIdentifier` when
    /// given. Copies whose manifest cannot be read are left out and named in `problems`.
    public func completeBaseBackups(database: String? = nil, systemIdentifier: String? = nil, problems: inout [String]) throws(RemoteError) -> [RemoteBaseBackup] {
        let names = Set(try store.list())
        var found: [RemoteBaseBackup] = []
        for name in names.compactMap({ BackupArchiveName(fileName: $0, kind: .base) })
        where names.contains(name.manifestFileName) && names.contains(name.fileName + BaseBackupManifest.postgresManifestSuffix) {
            switch remoteBaseManifest(of: name) {
            case .success(let manifest):
                guard manifest.archive == name.fileName else {
                    problems.append("\(name.fileName) on \(store.description): its manifest describes \(manifest.archive)")
                    continue
                }
                if let database, manifest.database != database { continue }
                if let systemIdentifier, manifest.systemIdentifier != systemIdentifier { continue }
                found.append(RemoteBaseBackup(name: name, manifest: manifest))
            case .failure(let problem):
                problems.append(problem.description)
            }
        }
        return found.sorted { $0.name.timestamp > $1.name.timestamp }
    }

    /// Downloads the off-site base backup `name` (pra manifest, PostgreSQL's manifest, archive)
    /// into `directory` (a private one the caller made and removes); returns the catalogue entry
    /// to verify and extract as a local one. Nothing fetched is trusted: the entry's
    /// verification checks every byte against the manifest.
    public func fetchBase(_ name: BackupArchiveName, into directory: String) throws(RemoteError) -> BaseBackupCatalogue.Entry {
        let archive = (directory as NSString).appendingPathComponent(name.fileName)
        try store.download(name.manifestFileName, to: archive + BackupArchiveName.manifestSuffix)
        try store.download(name.fileName + BaseBackupManifest.postgresManifestSuffix, to: archive + BaseBackupManifest.postgresManifestSuffix)
        try store.download(name.fileName, to: archive)
        guard let entry = BaseBackupCatalogue(directory: directory).entries.first(where: { $0.name == name }) else {
            throw RemoteError(target: store.description, operation: "download", file: name.fileName, message: "the downloaded copy is not in \(directory)")
        }
        return entry
    }

    /// Downloads the two manifests of the off-site base backup `name` (pra manifest, PostgreSQL's
    /// `backup_manifest`) into `directory` (a private one the caller made and removes); returns
    /// the entry whose archive is then read with ``RemoteArchiveStream`` (no local copy of it).
    public func fetchBaseManifests(_ name: BackupArchiveName, into directory: String) throws(RemoteError) -> BaseBackupCatalogue.Entry {
        let archive = (directory as NSString).appendingPathComponent(name.fileName)
        let manifestPath = archive + BackupArchiveName.manifestSuffix
        try store.download(name.manifestFileName, to: manifestPath)
        try store.download(name.fileName + BaseBackupManifest.postgresManifestSuffix, to: archive + BaseBackupManifest.postgresManifestSuffix)
        do {
            let manifest = try BaseBackupManifest.load(path: manifestPath)
            guard manifest.archive == name.fileName else {
                throw RemoteError(target: store.description, operation: "download", file: name.manifestFileName, message: "the manifest describes \(manifest.archive)")
            }
            return BaseBackupCatalogue.Entry(name: name, archivePath: archive, manifestPath: manifestPath, manifest: manifest, manifestProblem: nil)
        } catch let error as RemoteError {
            throw error
        } catch {
            throw RemoteError(target: store.description, operation: "download", file: name.manifestFileName, message: "\(error)")
        }
    }

    /// The pra manifest of the off-site base backup `name`, read into a private scratch directory.
    func remoteBaseManifest(of name: BackupArchiveName) -> Result<BaseBackupManifest, RemoteError> {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("pra-remote-manifest.XXXXXX")
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
            return .success(try BaseBackupManifest.load(path: path))
        } catch let error as RemoteError {
            return .failure(error)
        } catch {
            return .failure(RemoteError(target: store.description, operation: "download", file: name.manifestFileName, message: "\(error)"))
        }
    }
}
