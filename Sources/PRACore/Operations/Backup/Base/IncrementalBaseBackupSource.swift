import Crypto
import Foundation

/// The base backup an incremental is taken against (`--incremental-from newest` or an archive
/// file name), checked before pg_basebackup starts: complete, of this database system, with a
/// readable chain and a range map that matches its manifest. What is known only once the copy
/// ended (the new backup's WAL position) is checked by ``check(startLSN:timeline:archive:)``.
public struct IncrementalBaseBackupSource: Sendable {
    /// The word `--incremental-from` takes for the newest complete base backup of this system.
    public static let newest = "newest"

    public let entry: BaseBackupCatalogue.Entry
    public let manifest: BaseBackupManifest
    public let map: RangeMap
    /// SHA-256 of the reference's manifest file, recorded in the incremental's manifest.
    public let manifestSHA256: String
    /// The reference's own depth (0: a full base backup).
    public let depth: Int

    /// Finds and checks the reference named by `choice` in `directory`.
    public static func resolve(_ choice: String, directory: String, systemIdentifier: String) throws(OperationFailure) -> IncrementalBaseBackupSource {
        let catalogue = BaseBackupCatalogue(directory: directory)
        let entry: BaseBackupCatalogue.Entry
        if choice == newest {
            guard let found = catalogue.complete.first(where: { $0.manifest?.systemIdentifier == systemIdentifier }) else {
                throw refusal("--incremental-from newest: no complete base backup of this database system (\(systemIdentifier)) in \(directory); take a full one first with pra backup --base")
            }
            entry = found
        } else {
            let name = (choice as NSString).lastPathComponent
            guard let found = catalogue.entries.first(where: { $0.name.fileName == name }) else {
                throw refusal("--incremental-from \(choice): no base backup archive of that name in \(directory) (pra status lists them)")
            }
            entry = found
        }
        let name = entry.name.fileName
        guard let manifest = entry.manifest else {
            throw refusal("--incremental-from: \(name) is not complete (\(entry.manifestProblem ?? "no manifest"))")
        }
        guard manifest.systemIdentifier == systemIdentifier else {
            throw refusal("--incremental-from: \(name) is of another database system (\(manifest.systemIdentifier), the server is \(systemIdentifier))")
        }
        guard let mapName = manifest.rangeMap, let mapSHA = manifest.rangeMapSHA256 else {
            throw refusal("--incremental-from: \(name) has no range map (taken by an older pra); take a full base backup first")
        }
        do {
            _ = try IncrementalBaseBackupChain.resolve(entry, among: catalogue.entries)
        } catch {
            throw refusal("--incremental-from: \(name) cannot be restored: \(error)")
        }
        let map: RangeMap
        do {
            map = try RangeMap.load(path: (directory as NSString).appendingPathComponent(mapName), sha256: mapSHA)
        } catch {
            throw refusal("--incremental-from: \(name): \(error)")
        }
        guard let bytes = FileManager.default.contents(atPath: entry.manifestPath) else {
            throw refusal("--incremental-from: cannot read \(entry.manifestPath)")
        }
        return IncrementalBaseBackupSource(entry: entry, manifest: manifest, map: map, manifestSHA256: SHA256.hash(data: bytes).hex, depth: manifest.chainDepth ?? 0)
    }

    /// The link the incremental's manifest records.
    public var reference: IncrementalBaseBackupReference {
        IncrementalBaseBackupReference(archive: entry.name.fileName, manifestSHA256: manifestSHA256, timeline: manifest.timeline,
                                       startLSN: manifest.startLSN, endLSN: manifest.endLSN)
    }

    /// Refuses a new backup the reference cannot precede in the WAL: it must end before the new
    /// one starts, on the same timeline or one the new timeline descends from (its history).
    public func check(startLSN: LogSequenceNumber, timeline: UInt32, archive: WALArchive) throws(OperationFailure) {
        let name = entry.name.fileName
        if manifest.endLSN > startLSN {
            throw OperationFailure(stage: "incremental", message: "the reference \(name) ends at LSN \(manifest.endLSN), after this backup starts (\(startLSN)): it is not an ancestor in the WAL")
        }
        guard manifest.timeline != timeline else { return }
        let history = archive.history(of: timeline)
        guard let entry = history.entries.first(where: { $0.timeline == manifest.timeline }) else {
            throw OperationFailure(stage: "incremental", message: "the reference \(name) is on timeline \(manifest.timeline), which timeline \(timeline) does not descend from (no such entry in its history file): take a full base backup")
        }
        // A timeline that branched off before the reference ended rewrote WAL positions the
        // reference already holds (its pages would carry LSNs older than the reference's start).
        if let branch = entry.ends, manifest.endLSN > branch {
            throw OperationFailure(stage: "incremental", message: "the reference \(name) ends at LSN \(manifest.endLSN) on timeline \(manifest.timeline), after timeline \(timeline) branched off it at \(branch): it is not in this cluster's past; take a full base backup")
        }
    }

    private static func refusal(_ message: String) -> OperationFailure {
        OperationFailure(stage: "incremental", message: message, isUsageError: true)
    }
}
