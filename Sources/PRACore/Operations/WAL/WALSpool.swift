import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Segments `pra wal get` fetched ahead of recovery: `.pra-wal-spool/` beside the destination
/// (in the server's `pg_wal`, the one directory the server's OS user is sure to own, private to
/// it and on the same file system, so serving a spooled segment is a rename).
///
/// A spooled file has passed every check its fetch makes before it gets its name
/// (`<NAME>-<sha256>`), and is served only while the archive it came from (local, or the
/// off-site listing) still names that SHA-256 for NAME. Older segments are dropped as recovery
/// passes them, and the whole spool is removed when a file is found nowhere (how recovery
/// ends, and at promotion when it looks for the next timeline's history).
struct WALSpool {
    static let directoryName = ".pra-wal-spool"
    /// The `flock` file of the one prefetcher filling this spool (``LocalWALFetcher``).
    static let prefetchLockName = ".prefetch.lock"

    /// The spool directory.
    let path: String

    /// The spool for `destination` (PostgreSQL's `%p`).
    init(destination: String) {
        let directory = (destination as NSString).deletingLastPathComponent
        path = ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent(Self.directoryName)
    }

    static func fileName(_ name: WALFileName, sha256: String) -> String { "\(name.text)-\(sha256)" }

    /// A spool at `path` itself.
    init(path: String) {
        self.path = path
    }

    /// Where the copy of `name` with content `sha256` is spooled.
    func location(_ name: WALFileName, sha256: String) -> String {
        (path as NSString).appendingPathComponent(Self.fileName(name, sha256: sha256))
    }

    /// Moves the spooled copy of `name` with content `sha256` to `destination`; its size, or
    /// `nil` when the spool does not hold it.
    func serve(_ name: WALFileName, sha256: String, to destination: String) -> UInt64? {
        let spooled = location(name, sha256: sha256)
        guard FileManager.default.fileExists(atPath: spooled), rename(spooled, destination) == 0 else { return nil }
        return ((try? FileManager.default.attributesOfItem(atPath: destination))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// The names of the segments spooled now (not temporary files or the prefetcher's lock).
    func contents() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") })
    }

    /// The prefetcher's lock file; trimming never removes it (a prefetcher may hold it).
    var prefetchLock: String { (path as NSString).appendingPathComponent(Self.prefetchLockName) }

    /// Whether a prefetcher is filling the spool now (none when there is no spool).
    var isBeingPrefetched: Bool { FileManager.default.fileExists(atPath: path) && FileLock.isHeld(path: prefetchLock) }

    /// Makes the directory (private to the server's account).
    func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Removes the spool: recovery found a file nowhere, so it ends. A prefetcher still
    /// writing into it is waited for (it holds the lock for a few segments at most).
    func remove() {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let lock = try? FileLock(path: prefetchLock, wait: true)
        withExtendedLifetime(lock) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Removes spooled segments recovery has passed (same timeline, not after `name`) and
    /// temporary files of killed fetches; never the prefetcher's lock.
    func trim(before name: WALFileName) {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for file in files where file != Self.prefetchLockName {
            let full = (path as NSString).appendingPathComponent(file)
            if file.hasPrefix(".") {
                if DurableFile.isOrphaned(full, quietSeconds: 60) { unlink(full) }
                continue
            }
            guard let dash = file.lastIndex(of: "-"), let spooled = WALFileName(String(file[..<dash])) else {
                unlink(full)
                continue
            }
            if spooled.timeline == name.timeline && spooled < name { unlink(full) }
        }
    }
}
