import Foundation

/// The archived WAL file recovery asked for and could not get. That file, not the first one
/// never archived, is what stopped a recovery that ended before its target, and the one to name.
enum UnrestorableSegment {
    /// From the recovered server's log: PostgreSQL logs `could not restore file
    /// "000000010000000000000005" from archive: ...` when `restore_command` (`pra wal get`)
    /// fails for a file that exists but is corrupt or unreadable (exit 126).
    static func name(in log: [String]) -> String? {
        let marker = "could not restore file \""
        for line in log.reversed() {
            guard let start = line.range(of: marker) else { continue }
            let rest = line[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { continue }
            let name = String(rest[..<end])
            if WALFileName(name) != nil { return name }
        }
        return nil
    }

    /// When replay ended (`redo done at LSN`) in a segment before the last one archived without
    /// a gap, the next segment was archived but could not be replayed: that one, as the
    /// recovery to the latest point's own check names it.
    static func stoppedBefore(redoDone: LogSequenceNumber?, lastContiguous: WALFileName?, segmentSize: UInt64) -> WALFileName? {
        guard let redoDone, let last = lastContiguous, let lastNumber = last.segmentNumber(segmentSize: segmentSize) else { return nil }
        let stopped = redoDone.value / segmentSize
        guard stopped < lastNumber else { return nil }
        return WALFileName(timeline: last.timeline, segmentNumber: stopped + 1, segmentSize: segmentSize)
    }
}
