/// Decides from page headers alone whether a range of a relation's main fork may differ from
/// what a base backup that started at `since` holds.
///
/// PostgreSQL stamps every page it changes through the WAL with the LSN of that change
/// (`pd_lsn`, the first 8 bytes of the page). A page whose LSN is before the reference's start
/// was last changed before the reference's checkpoint, which wrote it to disk before the
/// reference copied it: the reference holds it (hint bits aside, which are not logged and
/// which recovery never needs). Any later change is at or after `since`, or, if it is still
/// only in shared buffers, after this backup's own checkpoint and so replayed from its WAL.
/// This is the reasoning of PostgreSQL 17's incremental backups (WAL summaries), applied to
/// the page headers. It needs the WAL to have been archived without a gap since the reference
/// (no `wal_level = minimal` in between); the caller checks. Only main forks qualify: the
/// visibility map and free space map change without their pages' LSN moving, so they are
/// compared by content, as are ranges holding a page with no LSN.
public enum PageLSNScan {
    /// PostgreSQL's default `BLCKSZ`.
    public static let defaultPageSize = 8192

    /// What the page headers of a range say.
    public enum Verdict: Equatable, Sendable {
        /// A page stamped at or after `since`, or a trailing partial page: store the range.
        case changed
        /// Every page stamped, all before `since`: the reference holds the range.
        case older
        /// No page after `since`, but one never stamped (LSN 0): written without WAL (a bulk
        /// load under `wal_level = minimal`) or zeros (a relation extended, perhaps after a
        /// truncation): the header proves nothing, compare the content.
        case unstamped
    }

    public static func classify(_ bytes: UnsafeRawBufferPointer, pageSize: Int, since: LogSequenceNumber) -> Verdict {
        guard pageSize >= 8, bytes.count % pageSize == 0 else { return .changed }
        var verdict = Verdict.older
        var offset = 0
        while offset < bytes.count {
            let lsn = pageLSN(bytes, at: offset)
            if lsn >= since.value { return .changed }
            if lsn == 0 { verdict = .unstamped }
            offset += pageSize
        }
        return verdict
    }

    /// The `pd_lsn` of the page at `offset`: xlogid then xrecoff, each a uint32 in the server's
    /// byte order (little-endian here).
    static func pageLSN(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        let high = UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
        let low = UInt64(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian)
        return high << 32 | low
    }

    /// Whether `path` (relative to the data directory) is a relation's main fork, or a further
    /// 1 GiB segment of one: `base/<db>/<node>[.<n>]` or `global/<node>[.<n>]`. Free space maps,
    /// visibility maps, init forks and everything else are not.
    public static func isMainFork(_ path: String) -> Bool {
        RelationFileName(path: path)?.fork == .main
    }
}
