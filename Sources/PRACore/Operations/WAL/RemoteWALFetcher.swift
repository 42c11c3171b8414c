import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pra wal get` from the off-site copy, for a file the local archive does not hold.
///
/// Recovery asks for one file at a time and waits for each: fetching them one by one from a
/// bucket would replay at the speed of one download after another. So when a segment has to
/// be downloaded, the next `prefetch` segments of its timeline that are off-site are
/// downloaded with it, in parallel, into the ``WALSpool``, served from there by rename while
/// the off-site listing still names the same SHA-256. The spool holds at most `prefetch` files.
public struct RemoteWALFetcher: Sendable {
    public let remote: RemoteWALArchive
    /// Segments fetched ahead (`WAL_GET_PREFETCH`); 0: none, no spool.
    public let prefetch: Int
    /// The local archive's identity, when there is one: the off-site marker must agree with it.
    public let localIdentity: WALArchive.Identity?

    public init(remote: RemoteWALArchive, prefetch: Int, localIdentity: WALArchive.Identity?) {
        self.remote = remote
        self.prefetch = max(0, prefetch)
        self.localIdentity = localIdentity
    }

    /// Fetches `name` to `destination`: from the spool when it holds the copy the listing
    /// names, else downloaded (with the next segments prefetched).
    public func fetch(_ name: WALFileName, to destination: String) throws(RemoteWALError) -> WALFetchOperation.Outcome {
        let spool = WALSpool(destination: destination)
        let entries: [RemoteWALArchive.Entry]
        do throws(RemoteError) {
            entries = try remote.entries(prefix: RemoteWALArchive.listingPrefix(for: name))
        } catch {
            throw .remote(error)
        }
        guard let entry = try remote.find(name, in: entries) else {
            // Found nowhere: recovery ends (or promotion looks for a history): the spool is done.
            spool.remove()
            return .notFound
        }
        spool.trim(before: name)
        if let bytes = spool.serve(entry.name, sha256: entry.sha256, to: destination) {
            return .fetched(bytes: bytes, from: "\(remote.store.description)/\(entry.fileName) (prefetched)")
        }
        let identity = try checkedIdentity(scratch: (destination as NSString).deletingLastPathComponent.isEmpty ? "." : (destination as NSString).deletingLastPathComponent)
        let ahead = prefetch > 0 ? try following(entry, entries: entries, identity: identity, spool: spool) : []
        if !ahead.isEmpty {
            do {
                try spool.create()
            } catch {
                // No spool: the file asked for is still fetched, only without the ones after it.
                return try fetchAlone(entry, to: destination, identity: identity)
            }
        }
        let results = ParallelResults(count: ahead.count + 1)
        let remote = self.remote
        let jobs: [(RemoteWALArchive.Entry, String)] = [(entry, destination)] + ahead.map { ($0, spool.location($0.name, sha256: $0.sha256)) }
        let group = DispatchGroup()
        for (index, job) in jobs.enumerated() {
            group.enter()
            Thread {
                do throws(RemoteWALError) {
                    results.set(index, .success(try remote.fetch(job.0, to: job.1, identity: identity)))
                } catch {
                    results.set(index, .failure(error))
                }
                group.leave()
            }.start()
        }
        group.wait()
        // A prefetch that failed is simply not spooled: asked for later, it is fetched again and
        // its failure (if it persists) reported then.
        switch results.get(0) {
        case .success(let bytes):
            return .fetched(bytes: bytes, from: "\(remote.store.description)/\(entry.fileName)")
        case .failure(let error):
            throw error
        case nil:
            throw .file(FileError(operation: .write, path: destination, code: EIO))
        }
    }

    private func fetchAlone(_ entry: RemoteWALArchive.Entry, to destination: String, identity: WALArchive.Identity?) throws(RemoteWALError) -> WALFetchOperation.Outcome {
        let bytes = try remote.fetch(entry, to: destination, identity: identity)
        return .fetched(bytes: bytes, from: "\(remote.store.description)/\(entry.fileName)")
    }

    /// The marker off-site, checked against the local archive's identity; the local one when
    /// there is no marker (a copy written before markers existed).
    func checkedIdentity(scratch: String) throws(RemoteWALError) -> WALArchive.Identity? {
        let marker = try remote.identity(scratch: scratch)
        if let marker, let localIdentity, marker.systemIdentifier != localIdentity.systemIdentifier {
            throw .foreignSystem(target: remote.store.description, remoteSystem: marker.systemIdentifier, localSystem: localIdentity.systemIdentifier)
        }
        return marker ?? localIdentity
    }

    /// The next `prefetch` segments after `entry` on its timeline that are off-site and not
    /// spooled yet (a second listing when they run into the next log file).
    func following(_ entry: RemoteWALArchive.Entry, entries: [RemoteWALArchive.Entry], identity: WALArchive.Identity?, spool: WALSpool) throws(RemoteWALError) -> [RemoteWALArchive.Entry] {
        guard entry.name.kind == .segment else { return [] }
        let segmentSize = identity?.segmentSize ?? 16 << 20
        guard let number = entry.name.segmentNumber(segmentSize: segmentSize) else { return [] }
        let wanted = (1...UInt64(prefetch)).map { WALFileName(timeline: entry.name.timeline, segmentNumber: number + $0, segmentSize: segmentSize) }
        var known = entries
        let prefixes = Set(wanted.map(RemoteWALArchive.listingPrefix(for:))).subtracting([RemoteWALArchive.listingPrefix(for: entry.name)])
        for prefix in prefixes.sorted() {
            do throws(RemoteError) {
                known += try remote.entries(prefix: prefix)
            } catch {
                break  // only the prefetch is lost
            }
        }
        let spooled = spool.contents()
        var ahead: [RemoteWALArchive.Entry] = []
        for name in wanted {
            // Missing (end of the archive) or ambiguous: nothing after it is fetched ahead (one
            // content in two codecs is one file, as for the segment asked for).
            guard let copy = try? remote.find(name, in: known) else { break }
            if !spooled.contains(WALSpool.fileName(copy.name, sha256: copy.sha256)) { ahead.append(copy) }
        }
        return ahead
    }
}

/// The outcome of each of a few parallel fetches.
final class ParallelResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<UInt64, RemoteWALError>?]

    init(count: Int) {
        values = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ value: Result<UInt64, RemoteWALError>) {
        lock.lock(); defer { lock.unlock() }
        values[index] = value
    }

    func get(_ index: Int) -> Result<UInt64, RemoteWALError>? {
        lock.lock(); defer { lock.unlock() }
        return values[index]
    }
}
