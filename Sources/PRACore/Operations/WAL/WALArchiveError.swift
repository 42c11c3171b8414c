/// Problems of the WAL archive. Each names the file and what to do.
public enum WALArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The name is not one PostgreSQL archives (a usage error).
    case invalidName(String)
    /// The file to push is not a WAL segment PostgreSQL wrote (bad header or size).
    case notAWALFile(path: String, reason: String)
    /// The archive already holds this name with other content: never overwritten.
    case collision(name: String, archivedSHA256: String, incomingSHA256: String, path: String)
    /// The segment comes from another database system than the one the archive belongs to.
    case foreignSystem(name: String, segmentSystem: String, archiveSystem: String, directory: String)
    /// An archived file fails its check (compressed stream or its format, size or SHA-256).
    case corrupt(name: String, path: String, reason: String)
    /// An archived file that exists but cannot be read (I/O error, not a regular file).
    case unreadable(name: String, path: String, reason: String)
    /// The archive holds this name with other content, and that copy is damaged: it is not
    /// replaced (its content cannot be known), so the push fails until someone looks at it.
    case damagedCollision(name: String, path: String, damage: String, incomingSHA256: String)
    /// A timeline history or backup history file whose content is not what PostgreSQL writes.
    case invalidContent(name: String, path: String, kind: String, problem: WALContentProblem)
    /// Two archived files carry the same name (a damaged archive).
    case ambiguous(name: String, paths: [String])
    case file(FileError)
    case identityUnreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            return "\(name) is not a WAL file name (a 24-hex-digit segment, NNNNNNNN.history, .backup or .partial)"
        case .notAWALFile(let path, let reason):
            return "\(path) is not a WAL file PostgreSQL wrote: \(reason)"
        case .collision(let name, let archived, let incoming, let path):
            return "\(name) is already archived with different content (archived SHA-256 \(archived.prefix(16))…, this file \(incoming.prefix(16))…) in \(path); refusing to overwrite it. Two servers may be archiving into one BACKUP_DIR"
        case .foreignSystem(let name, let segmentSystem, let archiveSystem, let directory):
            return "\(name) comes from database system \(segmentSystem), but the WAL archive in \(directory) belongs to system \(archiveSystem); give each cluster its own BACKUP_DIR"
        case .corrupt(let name, let path, let reason):
            return "archived WAL file \(name) is corrupt (\(path)): \(reason)"
        case .unreadable(let name, let path, let reason):
            return "archived WAL file \(name) cannot be read (\(path)): \(reason)"
        case .damagedCollision(let name, let path, let damage, let incoming):
            return "\(name) is already archived with different content in \(path), and that copy is damaged (\(damage)); refusing to replace it with this file (SHA-256 \(incoming.prefix(16))…): inspect it, move it out of the archive if it is garbage, and PostgreSQL's next retry archives this file"
        case .invalidContent(let name, let path, let kind, let problem):
            return "\(name) is not a valid \(kind) (\(path), \(problem)); refusing to archive it (PostgreSQL keeps it and retries)"
        case .ambiguous(let name, let paths):
            return "\(name) is archived more than once: \(paths.joined(separator: ", ")); remove the wrong copy"
        case .file(let error):
            return error.description
        case .identityUnreadable(let path, let reason):
            return "WAL archive identity \(path): \(reason)"
        }
    }
}
