import Foundation

/// Which archived WAL files still have to go off-site, and what that costs: the pure part of
/// `pra wal sync` and of the off-site checks of `pra status` (no server, no store).
public struct WALSyncQueue: Sendable, Equatable {
    /// Archived locally, not off-site, oldest first (archive time, then name): the order they are copied in.
    public let pending: [WALArchive.File]

    /// - Parameters:
    ///   - local: the local archive's files.
    ///   - offSite: the file names off-site (``RemoteWALArchive/Entry/fileName``).
    ///
    /// A local file older (by name) than the oldest segment off-site is not pending: off-site
    /// retention removed it, or it was archived before `REMOTE_TARGET` was set, and no off-site
    /// base backup needs it. A gap inside the off-site range is pending (it is copied again).
    /// Timeline history files are small and always wanted.
    public init(local: [WALArchive.File], offSite: Set<String>) {
        let limit = Self.segmentNames(offSite).min()
        pending = local.filter { file in
            guard !offSite.contains((file.path as NSString).lastPathComponent) else { return false }
            if file.name.kind == .history { return true }
            guard let limit else { return true }
            return file.name >= limit
        }.sorted { ($0.archivedAt, $0.name) < ($1.archivedAt, $1.name) }
    }

    static func segmentNames(_ names: Set<String>) -> [WALFileName] {
        names.compactMap { WALArchive.parse(fileName: $0) }.filter { $0.name.kind == .segment }.map(\.name)
    }

    /// Compressed bytes waiting to go off-site.
    public var bytes: UInt64 { pending.reduce(0) { $0 + $1.compressedBytes } }

    /// The off-site lag at `now`: how long the oldest file not yet off-site has been archived
    /// locally (0 when everything is off-site). Losing the site now loses the WAL archived
    /// since then: the recovery point objective after a site loss, beyond `archive_timeout`.
    public func lag(now: Date) -> Double {
        guard let oldest = pending.first(where: { $0.name.kind != .history }) ?? pending.first else { return 0 }
        return max(0, now.timeIntervalSince(oldest.archivedAt))
    }

    /// Whether the queue is over `limit` bytes (`0`: no limit).
    public func isOverLimit(_ limit: UInt64) -> Bool { limit > 0 && bytes > limit }
}
