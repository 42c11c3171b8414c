import Foundation

/// `pra wal get` from the local archive.
///
/// Recovery asks for one file at a time and waits while it is inflated, checked against its
/// SHA-256 and written (about 50 ms of one core for a 16 MiB gzip segment), with the other
/// cores idle. So when a segment is not spooled, the next `prefetch` segments of its timeline
/// that the archive holds are inflated and checked at the same time, one per core, into the
/// ``WALSpool``; the calls for them only rename. A spooled copy is served only while the
/// archive still names the same SHA-256 for it.
struct LocalWALFetcher {
    let archive: WALArchive
    /// Segments inflated ahead (`WAL_GET_PREFETCH`); 0: none, no spool.
    let prefetch: Int

    /// Writes `file` (found in the archive) to `destination`: from the spool, or inflated now
    /// with the segments after it.
    func fetch(_ file: WALArchive.File, to destination: String) throws -> WALFetchOperation.Outcome {
        let spool = WALSpool(destination: destination)
        spool.trim(before: file.name)
        if let bytes = spool.serve(file.name, sha256: file.sha256, to: destination) {
            return .fetched(bytes: bytes, from: "\(file.path) (prefetched)")
        }
        var ahead = prefetch > 0 ? following(file, spool: spool) : []
        if !ahead.isEmpty && (try? spool.create()) == nil {
            ahead = []  // no spool: the file asked for is still written, only without the ones after it
        }
        let jobs = [(file, destination)] + ahead.map { ($0, spool.location($0.name, sha256: $0.sha256)) }
        let results = WriteResults(count: jobs.count)
        let archive = self.archive
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            results.set(index, Result { try Self.write(jobs[index].0, from: archive, to: jobs[index].1) })
        }
        // A prefetch that failed is simply not spooled: asked for later, it is read again and
        // its failure (if it persists) reported then.
        return .fetched(bytes: try results.first(), from: file.path)
    }

    /// Inflates `file` to `path` through a temporary name; nothing is left at `path` on failure.
    /// No fsync: the server reads the file at once, and a crash only means asking again.
    static func write(_ file: WALArchive.File, from archive: WALArchive, to path: String) throws -> UInt64 {
        let output = try DurableFile(finalPath: path, permissions: 0o600, replacing: true)
        let bytes = try archive.read(file) { try output.write($0) }
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

/// The outcome of each parallel write, set by the thread that ran it.
private final class WriteResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<UInt64, Error>?]

    init(count: Int) {
        values = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ value: Result<UInt64, Error>) {
        lock.lock(); defer { lock.unlock() }
        values[index] = value
    }

    /// The first job's outcome: the file recovery asked for.
    func first() throws -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        return try values[0]!.get()
    }
}
