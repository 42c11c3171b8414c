/// Where off-site copies go: a directory (a mounted NFS or backup volume) or an ssh server.
///
/// Uploads land under a temporary name (`.<name>.partial`) that nothing treats as a backup;
/// ``finalize(_:)`` renames them into place once they were read back and matched.
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
    /// Removes these files (missing ones are not an error).
    func delete(_ names: [String]) throws(RemoteError)
    /// Copies `name` from the target to the local `localPath` (written durably).
    func download(_ name: String, to localPath: String) throws(RemoteError)
}

extension RemoteStore {
    static func partialName(_ name: String) -> String { ".\(name).partial" }
}
