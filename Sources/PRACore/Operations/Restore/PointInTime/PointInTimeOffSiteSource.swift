import Foundation

/// The off-site side of `pra restore --pitr`: fetching a base backup from `REMOTE_TARGET`
/// and saying, in the result, where the base backup and the WAL came from.
extension PointInTimeRestoreOperation {
    /// What an off-site candidate needs to be verified and extracted as a local one.
    struct OffSiteFetch {
        /// The entry: its two manifests downloaded into ``directory``, its archive not.
        let entry: BaseBackupCatalogue.Entry
        /// The private directory (`BACKUP_DIR/.pra-remote-fetch-XXXXXX`, mode 0700) to remove.
        let directory: String
        /// The archive, read from the store as it arrives.
        let stream: RemoteArchiveStream
    }

    /// Downloads the manifests of the off-site base backup `copy` into a new private directory
    /// in `backupDirectory` (as a logical restore's remote fetch) and opens its archive as a
    /// stream: the archive is verified (SHA-256 against the off-site pra manifest, the gzip/zstd/lz4 stream, tar,
    /// PostgreSQL's `backup_manifest`, then `pg_verifybackup`) while it is extracted, with no
    /// local copy of it. Nothing is left behind on failure.
    func fetchOffSite(_ copy: RemoteCopyOperation.RemoteBaseBackup, with remote: RemoteCopyOperation, backupDirectory: String) throws -> OffSiteFetch {
        let directory = try makeOffSiteFetchDirectory(in: backupDirectory)
        progress?.announce("streaming the off-site base backup \(copy.name.fileName) from \(remote.store.description)")
        do {
            let entry = try remote.fetchBaseManifests(copy.name, into: directory)
            let stream = try RemoteArchiveStream.open(copy.name.fileName, on: remote.store)
            return OffSiteFetch(entry: entry, directory: directory, stream: stream)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// A new private directory (`BACKUP_DIR/.pra-remote-fetch-XXXXXX`, mode 0700) for what is
    /// fetched from the store, `BACKUP_DIR` created first when the site lost it.
    func makeOffSiteFetchDirectory(in backupDirectory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: backupDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        return try RestoreOperation.makeFetchDirectory(in: backupDirectory)
    }

    /// Fetches what assembling the off-site incremental `copy` needs before any archive is read,
    /// into `directory`: each link's two manifests, following `incrementalFrom` down to the full
    /// base backup, then each incremental's range map (as `<archive>.ranges`, the name its
    /// manifest must give). Everything fetched is hostile until checked: the chain is resolved
    /// as a local one (``IncrementalBaseBackupChain/resolve(_:among:)``: each reference's pra
    /// manifest byte for byte the one the newer link records, same system, earlier in the WAL,
    /// at most ``IncrementalBaseBackupChain/maximumDepth`` links), the maps are checked against
    /// their manifests' SHA-256 when loaded, each `backup_manifest` and archive by the
    /// verification that reads them. A link that cannot be fetched or does not check out throws
    /// an ``IncrementalBaseBackupChainError`` naming it.
    func fetchOffSiteChain(_ copy: RemoteCopyOperation.RemoteBaseBackup, with remote: RemoteCopyOperation, into directory: String) throws -> IncrementalBaseBackupChain {
        let store = remote.store.description
        var links = [try remote.fetchBaseManifests(copy.name, into: directory)]
        while let current = links.last, let reference = current.manifest?.incrementalFrom,
              links.count <= IncrementalBaseBackupChain.maximumDepth, !links.contains(where: { $0.name.fileName == reference.archive }) {
            guard let name = BackupArchiveName(fileName: reference.archive, kind: .base) else {
                throw IncrementalBaseBackupChainError(link: current.name.fileName, reason: "its reference \(reference.archive.debugDescription) is no base backup archive name")
            }
            do {
                links.append(try remote.fetchBaseManifests(name, into: directory))
            } catch {
                throw IncrementalBaseBackupChainError(link: current.name.fileName, reason: "its reference \(reference.archive) cannot be fetched from \(store): \(error)")
            }
        }
        let chain = try IncrementalBaseBackupChain.resolve(links[0], among: links)
        for link in chain.links.dropLast() {
            let mapName = link.name.fileName + RangeMap.fileSuffix
            guard link.manifest?.rangeMap == mapName else {
                throw IncrementalBaseBackupChainError(link: link.name.fileName, reason: "its manifest names no range map \(mapName)")
            }
            do {
                try remote.store.download(mapName, to: (directory as NSString).appendingPathComponent(mapName))
            } catch {
                throw IncrementalBaseBackupChainError(link: link.name.fileName, reason: "its range map cannot be fetched from \(store): \(error)")
            }
        }
        return chain
    }

    /// Records where the chosen base backup came from (`result.archive`, `fetchedFromRemote`, a
    /// "sources" check) and returns the base backup's and the WAL's origin for the details.
    func recordSources(_ chosen: PointInTimeBaseBackupSources.Candidate, remote: RemoteCopyOperation?, backupDirectory: String, into result: inout RestoreResult) -> (base: String, wal: String) {
        let base: String
        switch chosen {
        case .local(let entry):
            base = entry.archivePath
        case .remote(let copy):
            let store = remote?.store.description ?? Setting.remoteTarget.name
            base = "\(store)/\(copy.name.fileName) (off-site)"
            result.fetchedFromRemote.append("\(copy.name.fileName) from \(store)")
        }
        result.archive = base
        let archive = (Self.absolute(backupDirectory) as NSString).appendingPathComponent("wal")
        var wal = "local archive \(archive)"
        if let target = configuration[.remoteTarget], let parsed = try? RemoteTarget(target) {
            let remoteWAL = parsed.appending("wal").store().description
            wal += ", then \(remoteWAL)"
        }
        // What a fallback costs: recovery replays the WAL from the older backup's start on.
        let skipped = result.skippedBackups.count
        let cost = skipped == 0 ? "" : "; fell back past \(skipped) newer base backup\(skipped == 1 ? "" : "s"): replay starts at segment \(chosen.manifest.startSegment), from a base backup taken \(RecoveryTarget.format(chosen.manifest.finishedAt))"
        result.checks.removeAll { $0.kind == .sources }
        result.checks.append(.init(.sources, passed: true, message: "base backup from \(base); WAL from the \(wal)\(cost)"))
        return (base, wal)
    }
}
