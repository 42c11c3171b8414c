import Foundation

/// Where off-site copies go: a directory (a mounted NFS or backup volume), an ssh server or an
/// S3-compatible bucket.
///
/// Uploads land under a temporary name (`.<name>.partial`) that nothing treats as a backup;
/// ``finalize(_:)`` renames them into place once they were read back and matched. A store whose
/// objects only appear once complete (S3) does the whole of ``put(_:as:expected:)`` its own way.
public protocol RemoteStore: Sendable {
    /// The target, without secrets, for messages and results.
    var description: String { get }
    /// Creates the target directory when missing.
    func prepare() throws(RemoteError)
    /// Copies the local file to `.<name>.partial` on the target.
    func upload(_ localPath: String, as name: String) throws(RemoteError)
    /// Reads back size and SHA-256 of `.<name>.partial` (`partial: true`) or of `name`.
    func digest(of name: String, partial: Bool) throws(RemoteError) -> FileDigest
    /// Renames `.<name>.partial` to `name`.
    func finalize(_ name: String) throws(RemoteError)
    /// The file names in the target directory.
    func list() throws(RemoteError) -> [String]
    /// The file names in the target directory that begin with `prefix` (an S3 store asks the
    /// bucket for those only: one request for a few hundred WAL files instead of all of them).
    func list(prefix: String) throws(RemoteError) -> [String]
    /// ``list(prefix:)`` with the time each file was written, where the store says so cheaply
    /// (S3's LastModified, a directory's mtime); `nil` where it does not (ssh).
    func listDetailed(prefix: String) throws(RemoteError) -> [(name: String, modified: Date?)]
    /// Removes these files (missing ones are not an error).
    func delete(_ names: [String]) throws(RemoteError)
    /// Copies `name` from the target to the local `localPath` (written durably).
    func download(_ name: String, to localPath: String) throws(RemoteError)
    /// Copies the local file to `name`, checked against `expected`: `name` exists on the target
    /// only once it holds exactly those bytes; on failure nothing is left under either name.
    func put(_ localPath: String, as name: String, expected: FileDigest) throws(RemoteError)
    /// Hands the bytes of `name` to `deliver` in order, a bounded chunk at a time (nothing is
    /// held whole); an error thrown by `deliver` ends the transfer and is rethrown as it is.
    func stream(_ name: String, to deliver: (UnsafeRawBufferPointer) throws -> Void) throws
    /// The local path of `name` when the store is a directory that can be read in place.
    func localPath(of name: String) -> String?
    /// Size and SHA-256 of `name` computed from its bytes as they are stored now (never a
    /// digest the store recorded at upload).
    func readThroughDigest(of name: String) throws(RemoteError) -> FileDigest
    /// The store asking at most twice and waiting at most `timeout` per request, for checks
    /// that must answer quickly (`pra status`); a store without retries returns itself.
    func bounded(timeout: Double) -> any RemoteStore
    /// The store told which archive names the copying database owns, so that its clean-up
    /// (stale multipart uploads) touches those only; a store with no such state returns itself.
    func scoped(toArchivePrefix prefix: String?) -> any RemoteStore
}

extension RemoteStore {
    static func partialName(_ name: String) -> String { ".\(name).partial" }

    public func localPath(of name: String) -> String? { nil }

    public func readThroughDigest(of name: String) throws(RemoteError) -> FileDigest {
        try digest(of: name, partial: false)
    }

    public func bounded(timeout: Double) -> any RemoteStore { self }

    public func scoped(toArchivePrefix prefix: String?) -> any RemoteStore { self }

    public func list(prefix: String) throws(RemoteError) -> [String] {
        try list().filter { $0.hasPrefix(prefix) }
    }

    public func listDetailed(prefix: String) throws(RemoteError) -> [(name: String, modified: Date?)] {
        try list(prefix: prefix).map { ($0, nil) }
    }

    /// Upload under the temporary name, read back, rename.
    public func put(_ localPath: String, as name: String, expected: FileDigest) throws(RemoteError) {
        do throws(RemoteError) {
            try upload(localPath, as: name)
            let copied = try digest(of: name, partial: true)
            guard copied == expected else {
                throw RemoteError(target: description, operation: "verify", file: name,
                                  message: "the copy reads back as \(copied), the local file is \(expected); the copy was removed")
            }
            try finalize(name)
        } catch {
            try? delete([Self.partialName(name)])
            throw error
        }
    }
}
