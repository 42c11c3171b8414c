import Foundation

/// `pra wal get NAME PATH` (PostgreSQL's `restore_command`): inflates an archived file to
/// `PATH`, checking its SHA-256 on the way out.
///
/// A file that is not archived is ``Outcome/notFound`` (how recovery learns it reached the end
/// of the archive); a corrupt one throws, naming it, and leaves nothing at `PATH`.
public struct WALFetchOperation {
    /// The exit status of `pra wal get` for every failure other than "not archived": corrupt,
    /// unreadable, cannot write `PATH`, configuration. PostgreSQL takes any exit status up to
    /// 125 from `restore_command` for "not in the archive" and ends recovery there, promoting at
    /// the wrong point; above 125 (`wait_result_is_any_signal(rc, true)` in RestoreArchivedFile)
    /// its startup process stops with FATAL instead, so the operator can repair the archive and
    /// start recovery again. 126 is the shell's "cannot execute": the lowest such status.
    public static let fatalExitCode: Int32 = 126

    public enum Outcome: Sendable, Equatable {
        case fetched(bytes: UInt64, from: String)
        case notFound
    }

    public var configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func run(name text: String, to destination: String) throws(OperationFailure) -> Outcome {
        guard let name = WALFileName(text) else {
            throw OperationFailure(stage: "wal get", message: WALArchiveError.invalidName(text).description, isUsageError: true)
        }
        let archive = WALArchive(backupDirectory: configuration.backupDirectory)
        let found: WALArchive.File?
        do {
            found = try archive.find(name)
        } catch {
            throw OperationFailure(stage: "wal get", message: "cannot tell whether \(name.text) is archived: \(error.description)")
        }
        do {
            guard let file = found else { return .notFound }
            // The server reads the file at once and removes it: a crash may lose it, so no fsync.
            let output = try DurableFile(finalPath: destination, permissions: 0o600, replacing: true)
            let bytes = try archive.read(file) { try output.write($0) }
            try output.commit(durably: false)
            return .fetched(bytes: bytes, from: file.path)
        } catch let error as WALArchiveError {
            throw OperationFailure(stage: "wal get", message: error.description)
        } catch {
            throw OperationFailure(stage: "wal get", error)
        }
    }
}
