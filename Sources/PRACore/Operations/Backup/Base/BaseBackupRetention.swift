import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Retention for point-in-time recovery: base backups by age with a minimum count, then the
/// archived WAL older than what the oldest kept base backup needs. Never a segment a kept
/// base backup needs, never a timeline history file, nothing when no base backup is complete.
public struct BaseBackupRetention {
    public let policy: RetentionPolicy
    public let directory: String
    public let segmentSize: UInt64

    public init(policy: RetentionPolicy, directory: String, segmentSize: UInt64) {
        self.policy = policy
        self.directory = directory
        self.segmentSize = segmentSize
    }

    /// Deletes what retention expires; returns the base backups removed and how many WAL files.
    public func apply(now: Date, warnings: inout [String]) -> (backups: [String], walFiles: Int) {
        let complete = BaseBackupCatalogue(directory: directory).complete
        let expired = Self.expired(complete, policy: policy, now: now)
        var deleted: [String] = []
        for entry in complete where expired.contains(entry.name.timestamp) {
            // Manifest first: a crash in between leaves an incomplete backup, never a "complete" one without data.
            for path in [entry.manifestPath, entry.archivePath, entry.postgresManifestPath, entry.rangeMapPath, entry.verificationRecordPath] {
                if unlink(path) != 0 && errno != ENOENT {
                    warnings.append("retention could not delete \(path): \(String(cString: strerror(errno)))")
                }
            }
            deleted.append(entry.name.fileName)
        }
        // The kept ones include every base backup a kept incremental needs (transitively), so
        // the WAL kept starts where the oldest of those needs it.
        let kept = complete.filter { !expired.contains($0.name.timestamp) }
        let needed = kept.compactMap { $0.manifest.flatMap { WALFileName($0.startSegment)?.segmentNumber(segmentSize: segmentSize) } }.min()
        guard let oldestNeeded = needed else { return (deleted, 0) }
        var walDeleted = 0
        for file in WALArchive(backupDirectory: directory).files() where file.name.kind != .history {
            guard let number = file.name.segmentNumber(segmentSize: segmentSize), number < oldestNeeded else { continue }
            if unlink(file.path) == 0 {
                walDeleted += 1
            } else if errno != ENOENT {
                warnings.append("retention could not delete \(file.path): \(String(cString: strerror(errno)))")
            }
        }
        return (deleted, walDeleted)
    }

    /// The timestamps of the base backups that expire: what `policy` expires, less every base
    /// backup that a kept incremental needs (its reference, and that one's, down to the full).
    static func expired(_ complete: [BaseBackupCatalogue.Entry], policy: RetentionPolicy, now: Date) -> Set<Date> {
        let byPolicy = Set(policy.expired(complete.map(\.name.timestamp), now: now))
        let kept = complete.filter { !byPolicy.contains($0.name.timestamp) }
        let needed = IncrementalBaseBackupChain.needed(by: kept, among: complete)
        return byPolicy.filter { timestamp in !complete.contains { $0.name.timestamp == timestamp && needed.contains($0.name.fileName) } }
    }
}
