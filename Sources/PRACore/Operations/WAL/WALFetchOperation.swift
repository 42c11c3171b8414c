import Foundation

/// `pra wal get NAME PATH` (PostgreSQL's `restore_command`): inflates an archived file to
/// `PATH`, checking its SHA-256 on the way out, with the next segments inflated ahead in the
/// background while the server replays (``LocalWALFetcher``, `WAL_GET_PREFETCH`). A file the local archive does not hold (or
/// no local archive at all: the site is lost) is fetched from `REMOTE_TARGET/wal/` when that
/// is configured, checked as it inflates, with the next segments prefetched
/// (``RemoteWALFetcher``, `WAL_GET_PREFETCH`).
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

    /// Starts `pra wal get NAME PATH --prefetch` in the background for the segments after
    /// NAME (``LocalWALFetcher``); the command line knows how to run pra again.
    public var launchPrefetcher: (WALFileName, String) -> Void = { _, _ in }

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// `pra wal get NAME PATH --prefetch`: fills the spool beside PATH with the segments after
    /// NAME that the local archive holds; quiet, whatever happens (the segments are read again
    /// when recovery asks for them).
    public func prefetch(after text: String, destination: String) {
        guard let name = WALFileName(text), let prefetch = try? configuration.integer(.walGetPrefetch) else { return }
        LocalWALFetcher(archive: WALArchive(backupDirectory: configuration.backupDirectory), prefetch: prefetch, launch: { _ in })
            .prefetch(after: name, destination: destination)
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
        guard let file = found else {
            let outcome = try fetchOffSite(name, to: destination, archive: archive)
            // Found nowhere: recovery ends (or promotion looks for a history): the spool is done.
            if outcome == .notFound { WALSpool(destination: destination).remove() }
            return outcome
        }
        let prefetch: Int
        do {
            prefetch = try configuration.integer(.walGetPrefetch)
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        do {
            let launch = launchPrefetcher
            return try LocalWALFetcher(archive: archive, prefetch: prefetch, launch: { launch($0, destination) }).fetch(file, to: destination)
        } catch let error as WALArchiveError {
            throw OperationFailure(stage: "wal get", message: error.description)
        } catch {
            throw OperationFailure(stage: "wal get", error)
        }
    }

    /// The off-site copy of `name`, when `REMOTE_TARGET` is set; ``Outcome/notFound`` otherwise
    /// and when it is not there either.
    private func fetchOffSite(_ name: WALFileName, to destination: String, archive: WALArchive) throws(OperationFailure) -> Outcome {
        let remote: RemoteWALArchive?
        let prefetch: Int
        do {
            remote = try RemoteWALArchive(configuration: configuration)
            prefetch = try configuration.integer(.walGetPrefetch)
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        guard let remote else { return .notFound }
        // An unreadable local identity is no reason to refuse the off-site copy: its own marker is checked.
        let localIdentity = (try? archive.identity()) ?? nil
        do throws(RemoteWALError) {
            return try RemoteWALFetcher(remote: remote, prefetch: prefetch, localIdentity: localIdentity).fetch(name, to: destination)
        } catch {
            throw OperationFailure(stage: "wal get", message: "\(name.text) is not in the local archive and the off-site copy cannot be used: \(error.description)")
        }
    }
}
