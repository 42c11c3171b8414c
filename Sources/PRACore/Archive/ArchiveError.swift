/// Problems with backup files and the backup directory.
public enum ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    case manifestUnreadable(path: String, reason: String)
    case notFound(path: String)
    case noCompleteBackup(directory: String)
    case noValidBackup(directory: String, tried: [String])
    case locked(directory: String, holder: String)

    public var description: String {
        switch self {
        case .manifestUnreadable(let path, let reason): return "manifest \(path): \(reason)"
        case .notFound(let path): return "\(path) does not exist"
        case .noCompleteBackup(let directory): return "no complete backup (archive with manifest) in \(directory)"
        case .noValidBackup(let directory, let tried):
            return "no valid backup in \(directory): all \(tried.count) complete backups failed verification (\(tried.joined(separator: "; ")))"
        case .locked(let directory, let holder): return "another backup is already running in \(directory) (\(holder)); refusing to start a second one"
        }
    }
}
