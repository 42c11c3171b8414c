import Foundation

/// The archives a logical restore tries (a ``CandidateSelection``, shared with point-in-time
/// recovery), newest first: the local ones, then (with --latest and `REMOTE_TARGET`) the remote
/// copies of this database, listed once no local one is left and fetched one at a time into a
/// private directory removed after the restore.
struct RestoreCandidates {
    /// The complete remote copies of this database (its archive prefix; the manifest's
    /// database is checked once fetched), newest first.
    struct OffSite: OffSiteCandidateSource {
        let remote: RemoteCopyOperation
        let prefix: String

        func list() -> (candidates: [BackupArchiveName], notes: [String]) {
            do {
                let found = try remote.completeBackups().filter { $0.prefix == prefix }
                return (found, found.isEmpty ? ["no complete backup on \(remote.store.description)"] : [])
            } catch {
                return ([], ["remote copies: \(error)"])
            }
        }
    }

    /// The local archives, newest first; setting them starts the selection over.
    var local: [RestoreOperation.Candidate] = [] {
        didSet { selection = CandidateSelection(local: local, offSite: offSite) }
    }
    private let offSite: OffSite?
    private var selection: CandidateSelection<RestoreOperation.Candidate, OffSite>
    let backupDirectory: String
    /// How many candidates were handed out (remote copies that could not be fetched are not).
    private(set) var tried = 0
    /// How many of the selection's notes are in the result already.
    private var notesRecorded = 0
    /// A new private directory for fetched copies (mkdtemp: 0700, this account's): BACKUP_DIR is
    /// writable by the server's account, which must not be able to plant a fixed name there.
    private var fetchDirectory: String?

    init(remote: RemoteCopyOperation?, prefix: String, backupDirectory: String) {
        offSite = remote.map { OffSite(remote: $0, prefix: prefix) }
        selection = CandidateSelection(local: [], offSite: offSite)
        self.backupDirectory = backupDirectory
    }

    /// The databases this restore must not overwrite by accident: `source`, and the database
    /// each local candidate was taken from.
    func sourceDatabases(besides source: String) -> Set<String> {
        var sources: Set<String> = [source]
        for candidate in local {
            if let manifest = try? BackupManifest.load(path: candidate.manifest) { sources.insert(manifest.database) }
        }
        return sources
    }

    /// The next archive to try; `nil` when none is left. A remote copy is fetched first; one
    /// that cannot be is listed as skipped and the next is tried.
    mutating func next(run: inout RestoreRun) -> RestoreOperation.Candidate? {
        defer { recordNotes(&run) }
        while let candidate = selection.next() {
            recordNotes(&run)
            switch candidate {
            case .local(let local):
                tried += 1
                return local
            case .remote(let name):
                guard let offSite, let fetched = fetch(name, from: offSite.remote, run: &run) else { continue }
                tried += 1
                return fetched
            }
        }
        return nil
    }

    /// The selection's notes (listing the remote copies) not yet in the result, as skipped lines.
    private mutating func recordNotes(_ run: inout RestoreRun) {
        run.result.skippedBackups += selection.notes.dropFirst(notesRecorded)
        notesRecorded = selection.notes.count
    }

    /// Fetches the remote copy `name`; `nil` when it could not be (listed as skipped).
    private mutating func fetch(_ name: BackupArchiveName, from copies: RemoteCopyOperation, run: inout RestoreRun) -> RestoreOperation.Candidate? {
        run.begin(.fetchRemoteCopy)
        do {
            if fetchDirectory == nil { fetchDirectory = try RestoreOperation.makeFetchDirectory(in: backupDirectory) }
            let archive = try copies.fetch(name, into: fetchDirectory!)
            run.result.fetchedFromRemote.append("\(name.fileName) from \(copies.store.description)")
            return (archive, archive + BackupArchiveName.manifestSuffix, true)
        } catch {
            run.result.skippedBackups.append("remote \(name.fileName) could not be fetched: \(error)")
            return nil
        }
    }

    /// Removes the fetched copies.
    func removeFetchDirectory() {
        if let fetchDirectory { try? FileManager.default.removeItem(atPath: fetchDirectory) }
    }
}

extension RestoreOperation {
    static func makeFetchDirectory(in backupDirectory: String) throws -> String {
        var template = Array(((backupDirectory as NSString).appendingPathComponent(remoteFetchDirectory + "-XXXXXX")).utf8CString)
        guard let created = mkdtemp(&template) else { throw FileError(operation: .mkdir, path: backupDirectory + "/" + remoteFetchDirectory + "-XXXXXX", code: errno) }
        return String(cString: created)
    }
}
