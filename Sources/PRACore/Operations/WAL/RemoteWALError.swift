/// Problems of the off-site copy of the WAL archive (`REMOTE_TARGET/wal/`). Each names the
/// target, the file and what to do.
public enum RemoteWALError: Error, CustomStringConvertible, Sendable {
    /// `wal/archive.json` off-site names another database system than this cluster's.
    case foreignSystem(target: String, remoteSystem: String, localSystem: String)
    /// `wal/archive.json` off-site exists but cannot be read or parsed.
    case markerUnreadable(target: String, reason: String)
    /// An off-site file fails its check (compressed stream and its format, SHA-256 in its name, WAL header, content).
    case corrupt(name: String, location: String, reason: String)
    /// Two off-site files carry the same WAL name with different content.
    case ambiguous(name: String, locations: [String])
    /// The store failed (list, download, upload).
    case remote(RemoteError)
    /// A local file (spool, temporary download, destination) could not be written or read.
    case file(FileError)

    public var description: String {
        switch self {
        case let .foreignSystem(target, remoteSystem, localSystem):
            return "\(target) holds the WAL of database system \(remoteSystem) (its archive.json), this cluster is system \(localSystem): clusters sharing a REMOTE_TARGET never mix their WAL; give this cluster another REMOTE_TARGET path (e.g. s3://bucket/<cluster name>)"
        case let .markerUnreadable(target, reason):
            return "\(target)/\(RemoteWALArchive.markerName) cannot be read: \(reason)"
        case let .corrupt(name, location, reason):
            return "off-site WAL file \(name) is corrupt (\(location)): \(reason)"
        case let .ambiguous(name, locations):
            return "\(name) is off-site more than once with different content: \(locations.joined(separator: ", ")); remove the wrong copy"
        case .remote(let error):
            return error.description
        case .file(let error):
            return error.description
        }
    }
}
