import Foundation

/// The base backups `pra restore --pitr` tries (a ``CandidateSelection``, shared with the
/// logical restore), in order: the local ones that precede the
/// target (newest first), then, when `REMOTE_TARGET` is configured, the off-site copies that
/// precede it (newest first). With `fromRemote`, the off-site copies only.
///
/// The off-site list is read from the target only when it is needed (no local candidate, or
/// every local one failed), and is limited to this cluster: the system identifier of the
/// local WAL archive when there is one; otherwise the copies of the configured database, which
/// must then all come from one cluster (several clusters sharing the target under one database
/// name cannot be told apart without it: refused, naming the identifiers).
struct PointInTimeBaseBackupSources {
    /// One base backup to try.
    typealias Candidate = CandidateSelection<BaseBackupCatalogue.Entry, OffSite>.Candidate

    /// The off-site base backups of this cluster that precede the target, newest first.
    struct OffSite: OffSiteCandidateSource {
        let remote: RemoteCopyOperation
        let target: RecoveryTarget
        let database: String
        let systemIdentifier: String?
        /// How many off-site copies exist for this cluster whatever the target (to tell "none" from "all too new").
        private(set) var count = 0
        /// The oldest off-site copy of this cluster, when listed.
        private(set) var oldest: BaseBackupManifest?

        mutating func list() -> (candidates: [RemoteCopyOperation.RemoteBaseBackup], notes: [String]) {
            var problems: [String] = []
            var found: [RemoteCopyOperation.RemoteBaseBackup]
            do {
                found = try remote.completeBaseBackups(systemIdentifier: systemIdentifier, problems: &problems)
            } catch {
                return ([], problems + ["off-site base backups: \(error)"])
            }
            if systemIdentifier == nil {
                found = found.filter { $0.manifest.database == database }
                let clusters = Set(found.map(\.manifest.systemIdentifier))
                if clusters.count > 1 {
                    return ([], problems + ["the off-site base backups of \(database) on \(remote.store.description) come from \(clusters.count) database systems (\(clusters.sorted().joined(separator: ", "))) and no local WAL archive says which one this is; give each cluster its own REMOTE_TARGET path"])
                }
            }
            count = found.count
            oldest = found.last?.manifest
            return (found.filter { PointInTimeBaseBackupSources.precedes($0.manifest, target) }, problems)
        }
    }

    private var selection: CandidateSelection<BaseBackupCatalogue.Entry, OffSite>
    /// What went wrong listing the off-site copies (becomes a fallback line).
    var problems: [String] { selection.notes }
    /// How many off-site copies exist for this cluster whatever the target (to tell "none" from "all too new").
    var remoteCount: Int { selection.source?.count ?? 0 }
    /// The oldest off-site copy of this cluster, when listed.
    var oldestRemote: BaseBackupManifest? { selection.source?.oldest }

    init(local: [BaseBackupCatalogue.Entry], remote: RemoteCopyOperation?, fromRemote: Bool, target: RecoveryTarget, database: String, systemIdentifier: String?) {
        let usable = fromRemote ? [] : local.filter { $0.manifest.map { Self.precedes($0, target) } ?? false }
        selection = CandidateSelection(local: usable, offSite: remote.map { OffSite(remote: $0, target: target, database: database, systemIdentifier: systemIdentifier) })
    }

    /// Whether a backup that finished at `manifest` can recover to `target`.
    static func precedes(_ manifest: BaseBackupManifest, _ target: RecoveryTarget) -> Bool {
        switch target {
        case .time(let date): return manifest.finishedAt <= date
        case .lsn(let lsn): return manifest.endLSN <= lsn
        case .latest, .name: return true
        }
    }

    /// Whether another candidate is left (reads the off-site list when the local ones ran out).
    mutating func hasMore() -> Bool {
        selection.hasMore()
    }

    /// The next candidate, or `nil` when none is left.
    mutating func next() -> Candidate? {
        selection.next()
    }

    /// Reads the off-site list now (once).
    mutating func listRemote() {
        selection.listOffSite()
    }
}

extension CandidateSelection.Candidate where Local == BaseBackupCatalogue.Entry, Source == PointInTimeBaseBackupSources.OffSite {
    var manifest: BaseBackupManifest {
        switch self {
        case .local(let entry): return entry.manifest!
        case .remote(let copy): return copy.manifest
        }
    }

    var fileName: String {
        switch self {
        case .local(let entry): return entry.name.fileName
        case .remote(let copy): return copy.name.fileName
        }
    }
}
