import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Retention of the off-site WAL (`REMOTE_TARGET/wal/`), with the rule local retention uses
/// (``BaseBackupRetention``): a WAL file whose segment is older than the start segment of the
/// oldest base backup kept off-site is deleted; never a timeline history file, never anything
/// when no off-site base backup of this cluster is complete, never anything while a base
/// backup manifest off-site cannot be read (what it needs is unknown).
///
/// Scoped to one cluster: the off-site marker (`wal/archive.json`) must name `systemIdentifier`
/// (a target shared by clusters gives each its own `wal/`: the marker check refuses mixing),
/// and only base backups whose manifest names that system count. Which base backups are kept
/// off-site is decided by their own retention; this follows whatever is there.
public struct RemoteWALRetention {
    /// REMOTE_TARGET (base backups at its root) and REMOTE_TARGET/wal.
    public let rootStore: any RemoteStore
    public let remote: RemoteWALArchive
    public let systemIdentifier: String

    public init(rootStore: any RemoteStore, remote: RemoteWALArchive, systemIdentifier: String) {
        self.rootStore = rootStore
        self.remote = remote
        self.systemIdentifier = systemIdentifier
    }

    /// From `REMOTE_TARGET`; `nil` without it.
    public init?(configuration: Configuration, systemIdentifier: String) throws(ConfigurationError) {
        guard let text = configuration[.remoteTarget] else { return nil }
        let target = try RemoteTarget(text)
        self.init(rootStore: try target.store(configuration: configuration),
                  remote: RemoteWALArchive(store: try target.appending(WALArchive.directoryName).store(configuration: configuration)),
                  systemIdentifier: systemIdentifier)
    }

    /// The off-site WAL files retention would delete (none when it must not decide).
    /// - Parameter scratch: a writable directory for the manifests' downloads (left as it was).
    public func expired(scratch: String, warnings: inout [String]) throws(RemoteWALError) -> [RemoteWALArchive.Entry] {
        guard let marker = try remote.identity(scratch: scratch) else { return [] }
        guard marker.systemIdentifier == systemIdentifier else {
            throw .foreignSystem(target: remote.store.description, remoteSystem: marker.systemIdentifier, localSystem: systemIdentifier)
        }
        let names: Set<String>
        do throws(RemoteError) {
            names = Set(try rootStore.list())
        } catch {
            throw .remote(error)
        }
        var starts: [UInt64] = []
        for name in names.compactMap({ BackupArchiveName(fileName: $0, kind: .base) }) where names.contains(name.manifestFileName) {
            let path = (scratch as NSString).appendingPathComponent(".pra-retention-\(getpid())-" + name.manifestFileName)
            defer { unlink(path) }
            let manifest: BaseBackupManifest
            do {
                try rootStore.download(name.manifestFileName, to: path)
                manifest = try BaseBackupManifest.load(path: path)
            } catch {
                warnings.append("off-site WAL retention skipped: base backup manifest \(name.manifestFileName) on \(rootStore.description) cannot be read (\(error)), so what it needs is unknown")
                return []
            }
            guard manifest.systemIdentifier == systemIdentifier else { continue }
            guard let start = WALFileName(manifest.startSegment)?.segmentNumber(segmentSize: marker.segmentSize) else {
                warnings.append("off-site WAL retention skipped: base backup \(manifest.archive) names no valid start segment (\(manifest.startSegment))")
                return []
            }
            starts.append(start)
        }
        guard let oldestNeeded = starts.min() else { return [] }
        let entries: [RemoteWALArchive.Entry]
        do throws(RemoteError) {
            entries = try remote.entries()
        } catch {
            throw .remote(error)
        }
        return entries.filter { entry in
            guard entry.name.kind != .history, let number = entry.name.segmentNumber(segmentSize: marker.segmentSize) else { return false }
            return number < oldestNeeded
        }
    }

    /// Deletes what ``expired(scratch:warnings:)`` names; returns their file names.
    public func apply(scratch: String, warnings: inout [String]) throws(RemoteWALError) -> [String] {
        let doomed = try expired(scratch: scratch, warnings: &warnings).map(\.fileName)
        guard !doomed.isEmpty else { return [] }
        do throws(RemoteError) {
            try remote.store.delete(doomed)
        } catch {
            throw .remote(error)
        }
        return doomed
    }
}
