import Foundation

/// `pra wal get` from the local archive.
///
/// Recovery asks for one file at a time and waits while it is inflated, checked against its
/// SHA-256 and written (about 50 ms of one core for a 16 MiB gzip segment), then replays it
/// while nothing is fetched. So after writing the segment asked for, `pra wal get` starts a
/// prefetcher in the background (`launch`: `pra wal get NAME PATH --prefetch`, one at a time per
/// spool) that inflates the next `prefetch` segments of the timeline into the ``WALSpool``
/// while the server replays; the calls for them only rename, while the archive still names the
/// same SHA-256. A segment the prefetcher cannot read is not spooled: asked for, it is read
/// again and its failure reported then.
struct LocalWALFetcher {
    let archive: WALArchive
    /// Segments inflated ahead (`WAL_GET_PREFETCH`); 0: none, no spool.
    let prefetch: Int
    /// Starts the prefetcher for the segments after the one named (in the background).
    let launch: (WALFileName) -> Void

    /// Writes `file` (found in the archive) to `destination`, from the spool when it holds it,
    /// then starts the prefetcher when segments after it are neither spooled nor being fetched.
    func fetch(_ file: WALArchive.File, to destination: String) throws -> WALFetchOperation.Outcome {
        let spool = WALSpool(destination: destination)
        spool.trim(before: file.name)
        let outcome: WALFetchOperation.Outcome
        if let bytes = spool.serve(file.name, sha256: file.sha256, to: destination) {
            outcome = .fetched(bytes: bytes, from: "\(file.path) (prefetched)")
        } else {
            outcome = .fetched(bytes: try Self.write(file, from: archive, to: destination), from: file.path)
        }
        // The lock first: while a prefetcher runs (most calls), listing what follows is wasted.
        if prefetch > 0, !spool.isBeingPrefetched, !following(file, spool: spool).isEmpty, (try? spool.create()) != nil {
            launch(file.name)
        }
        return outcome
    }

    /// The prefetcher: inflates the segments after `name` that the archive holds and the spool
    /// does not, one after another, into the spool beside `destination`. Does nothing when
    /// another prefetcher holds the spool or the spool is gone (recovery ended).
    func prefetch(after name: WALFileName, destination: String) {
        let spool = WALSpool(destination: destination)
        guard prefetch > 0, let lock = try? FileLock(path: spool.prefetchLock, wait: false),
              let file = (try? archive.find(name)) ?? nil else { return }
        withExtendedLifetime(lock) {
            for next in following(file, spool: spool) {
                // The spool removed meanwhile (recovery ended), or a segment that cannot be read: stop.
                guard FileManager.default.fileExists(atPath: spool.path),
                      (try? Self.write(next, from: archive, to: spool.location(next.name, sha256: next.sha256))) != nil else { return }
            }
        }
    }

    /// Inflates `file` to `path` through a temporary name; nothing is left at `path` on failure.
    /// No fsync: the server reads the file at once, and a crash only means asking again.
    static func write(_ file: WALArchive.File, from archive: WALArchive, to path: String) throws -> UInt64 {
        let output = try DurableFile(finalPath: path, permissions: 0o600, replacing: true)
        let bytes = try archive.read(file, forRecovery: true) { try output.write($0) }
        try output.commit(durably: false)
        return bytes
    }

    /// The next `prefetch` segments after `file` on its timeline that the archive holds and the
    /// spool does not; the first one missing or ambiguous ends the list.
    func following(_ file: WALArchive.File, spool: WALSpool) -> [WALArchive.File] {
        guard file.name.kind == .segment else { return [] }
        let segmentSize = ((try? archive.identity()) ?? nil)?.segmentSize ?? 16 << 20
        guard let number = file.name.segmentNumber(segmentSize: segmentSize) else { return [] }
        let spooled = spool.contents()
        var ahead: [WALArchive.File] = []
        for step in 1...UInt64(prefetch) {
            let name = WALFileName(timeline: file.name.timeline, segmentNumber: number + step, segmentSize: segmentSize)
            guard let next = (try? archive.find(name)) ?? nil else { break }
            if !spooled.contains(WALSpool.fileName(next.name, sha256: next.sha256)) { ahead.append(next) }
        }
        return ahead
    }
}
