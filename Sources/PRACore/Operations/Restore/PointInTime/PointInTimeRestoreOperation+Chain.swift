import Foundation

/// Restoring an incremental base backup through its chain, from `BACKUP_DIR` or from the
/// off-site copy: only where the links come from differs (resolving them, reading their
/// archives); loading the range maps, extracting the full one, applying the incrementals,
/// checking the tree and pg_verifybackup are the same steps (``assembleChain(_:mapDirectory:store:context:broken:run:)``).
extension PointInTimeRestoreOperation {
    /// Restores a local incremental base backup: resolves its chain among `BACKUP_DIR`'s base
    /// backups (each link's manifest checked), then assembles it. `false`, with the broken link
    /// named in the skipped backups, when any of that fails: the caller tries the next (older)
    /// candidate. `broken`: the links found damaged so far in this restore (see
    /// ``assembleChain(_:mapDirectory:store:context:broken:run:)``).
    func restoreChain(_ entry: BaseBackupCatalogue.Entry, context: RecoveryContext, broken: inout [String: String], run: inout RestoreRun) throws(RestoreStop) -> Bool {
        let setup = context.setup, name = entry.name.fileName
        let chain: IncrementalBaseBackupChain
        do {
            chain = try IncrementalBaseBackupChain.resolve(entry, among: BaseBackupCatalogue(directory: setup.backupDirectory).entries)
        } catch {
            run.result.skippedBackups.append("\(name) (incremental) cannot be restored: \(error)")
            return false
        }
        if let problem = try assembleChain(chain, mapDirectory: setup.backupDirectory, store: nil, context: context, broken: &broken, run: &run) {
            run.result.skippedBackups.append("\(name) (incremental) cannot be restored: \(problem)")
            return false
        }
        return passesPgVerifyBackup(entry, label: "\(name) (incremental, assembled from \(chain.links.count) base backups)", setup: setup, run: &run)
    }

    /// Restores the off-site incremental `copy`: fetches its chain's manifests and range maps
    /// into a private directory in `BACKUP_DIR` (``fetchOffSiteChain(_:with:into:)``: each link's
    /// manifest checked against the SHA-256 the newer link records), then assembles it with each
    /// archive streamed from the store (no local copy of any). The directory is removed once
    /// pg_verifybackup checked the tree. `false`, with the broken or unreachable link named in the
    /// skipped backups: never a partial chain, the caller tries the next (older) candidate. On
    /// success the older links are listed in `fetchedFromRemote` (the newest one is listed by
    /// ``recordSources(_:remote:backupDirectory:into:)``).
    func restoreOffSiteChain(_ copy: RemoteCopyOperation.RemoteBaseBackup, context: RecoveryContext, broken: inout [String: String], run: inout RestoreRun) throws(RestoreStop) -> Bool {
        let setup = context.setup, name = copy.name.fileName, remote = setup.remote!
        run.begin(.fetchOffSite)
        let directory: String
        do {
            directory = try makeOffSiteFetchDirectory(in: setup.backupDirectory)
        } catch {
            run.result.skippedBackups.append("off-site \(name) could not be fetched: \(error)")
            return false
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        progress?.announce("assembling the off-site incremental base backup \(name) from its chain on \(remote.store.description)")
        let chain: IncrementalBaseBackupChain
        do {
            chain = try fetchOffSiteChain(copy, with: remote, into: directory)
        } catch {
            run.result.skippedBackups.append("off-site \(name) (incremental) cannot be restored: \(error)")
            return false
        }
        if let problem = try assembleChain(chain, mapDirectory: directory, store: remote.store, context: context, broken: &broken, run: &run) {
            run.result.skippedBackups.append("off-site \(name) (incremental) cannot be restored: \(problem)")
            return false
        }
        guard passesPgVerifyBackup(chain.links[0], label: "off-site \(name) (incremental, assembled from \(chain.links.count) base backups)", setup: setup, run: &run) else { return false }
        run.result.fetchedFromRemote += chain.links.dropFirst().reversed().map { "\($0.name.fileName) (a link of the chain of \(name)) from \(remote.store.description)" }
        return true
    }

    /// The steps every chain shares, wherever its links are: loads each incremental's range map
    /// from `mapDirectory` (its SHA-256 from the manifest), extracts the full base backup and
    /// applies the incrementals oldest first, each archive verified while it streams (read from
    /// `store` as it arrives when given, else from its path), then checks the tree against the
    /// newest map. Returns why the chain cannot be used (naming the link), `nil` when the tree is
    /// assembled and matches; the caller runs pg_verifybackup.
    ///
    /// `broken` remembers, for the rest of the restore, each link whose archive failed
    /// verification (local and off-site apart; not a transfer that broke): an older candidate
    /// whose chain holds it is refused without reading anything again (an off-site full base
    /// backup is not streamed twice only to fail at the same link).
    func assembleChain(_ chain: IncrementalBaseBackupChain, mapDirectory: String, store: (any RemoteStore)?, context: RecoveryContext, broken: inout [String: String], run: inout RestoreRun) throws(RestoreStop) -> String? {
        let setup = context.setup, full = chain.full
        func key(_ link: BaseBackupCatalogue.Entry) -> String { (store == nil ? "" : "off-site ") + link.name.fileName }
        if let known = chain.links.compactMap({ broken[key($0)] }).first {
            return "\(known) (found for a newer candidate: not read again)"
        }
        let incrementals: [(entry: BaseBackupCatalogue.Entry, map: RangeMap)]
        do {
            incrementals = try Self.rangeMaps(of: chain, in: mapDirectory)
        } catch {
            return error.description
        }
        run.begin(.extract)
        context.target.clear()
        let extracted = readArchive(of: full, from: store) { archive in try extract(full, into: setup.directory, as: setup.user, archive: archive) }
        if case .failure(let error) = extracted.outcome, extracted.transfer == nil {
            throw RestoreStop.failed(stage: .extract, message: "cannot extract \(full.name.fileName) into \(setup.directory): \(error)")
        }
        if let problem = Self.linkProblem(full, role: " (its full base backup)", extracted, store: store) {
            if extracted.transfer == nil { broken[key(full)] = problem }
            return problem
        }
        let assembly = ChainAssembly(directory: setup.directory, user: setup.user, progress: progress)
        for link in incrementals {
            let applied = readArchive(of: link.entry, from: store) { archive in try assembly.apply(link.entry, map: link.map, archive: archive) }
            if let problem = Self.linkProblem(link.entry, role: "", applied, store: store) {
                if applied.transfer == nil { broken[key(link.entry)] = problem }
                return problem
            }
        }
        let problems = assembly.check(against: incrementals.last!.map)
        guard problems.isEmpty else { return "the assembled data directory does not match its range map: \(problems.joined(separator: "; "))" }
        return nil
    }

    /// Each incremental of `chain`, oldest first, with its range map read from `directory`
    /// (SHA-256 checked against the link's manifest).
    static func rangeMaps(of chain: IncrementalBaseBackupChain, in directory: String) throws(IncrementalBaseBackupChainError) -> [(entry: BaseBackupCatalogue.Entry, map: RangeMap)] {
        var loaded: [(entry: BaseBackupCatalogue.Entry, map: RangeMap)] = []
        for link in chain.links.dropLast().reversed() {
            guard let manifest = link.manifest, let mapName = manifest.rangeMap, let mapSHA = manifest.rangeMapSHA256 else {
                throw IncrementalBaseBackupChainError(link: link.name.fileName, reason: "no range map in its manifest")
            }
            do {
                loaded.append((link, try RangeMap.load(path: (directory as NSString).appendingPathComponent(mapName), sha256: mapSHA)))
            } catch {
                throw IncrementalBaseBackupChainError(link: link.name.fileName, reason: "\(error)")
            }
        }
        return loaded
    }

    /// What reading one link's archive gave: the verification (or what stopped it), and why the
    /// transfer from the store failed, if it did.
    struct LinkRead {
        let outcome: Result<VerificationResult, Error>
        let transfer: RemoteError?
    }

    /// Hands `link`'s archive to `read`: streamed from `store` (``RemoteArchiveStream``) when
    /// given, waiting for the transfer to end afterwards; `nil` to `read` (the archive's path)
    /// otherwise.
    func readArchive(of link: BaseBackupCatalogue.Entry, from store: (any RemoteStore)?, _ read: (FileHandle?) throws -> VerificationResult) -> LinkRead {
        let stream: RemoteArchiveStream?
        do {
            stream = try store.map { store throws(RemoteError) in try RemoteArchiveStream.open(link.name.fileName, on: store) }
        } catch {
            return LinkRead(outcome: .failure(error), transfer: error)
        }
        let outcome = Result { try read(stream?.handle) }
        return LinkRead(outcome: outcome, transfer: stream?.finish())
    }

    /// Why `link` breaks the chain, `nil` when its archive verified (a local link's verification
    /// is recorded, as for any base backup it reads). A transfer that broke is said as what it is,
    /// not taken for a damaged link.
    static func linkProblem(_ link: BaseBackupCatalogue.Entry, role: String, _ read: LinkRead, store: (any RemoteStore)?) -> String? {
        let name = link.name.fileName
        if case .success(let verdict) = read.outcome {
            if store == nil { VerificationRecord.save(verdict) }
            if verdict.valid { return nil }
        }
        if let transfer = read.transfer { return "\(name)\(role) could not be fetched: \(transfer)" }
        switch read.outcome {
        case .success(let verdict): return "incremental chain broken at \(name)\(role): \(verdict.problems.map(\.message).joined(separator: "; "))"
        case .failure(let error): return "incremental chain broken at \(name)\(role): \(error)"
        }
    }
}
