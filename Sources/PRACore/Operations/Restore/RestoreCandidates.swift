import Foundation

/// The archives a logical restore tries, newest first: the local ones, then (with --latest and
/// `REMOTE_TARGET`) the remote copies of this database, fetched one at a time once no local
/// one is left, into a private directory removed after the restore.
struct RestoreCandidates {
    /// The local archives, newest first.
    var local: [RestoreOperation.Candidate] = []
    let remote: RemoteCopyOperation?
    /// This database's archive prefix: only its remote copies are fetched.
    let prefix: String
    let backupDirectory: String
    /// How many candidates were handed out.
    private(set) var tried = 0
    private var fetched: [RestoreOperation.Candidate] = []
    private var listedRemote = false
    private var pendingRemote: [BackupArchiveName] = []
    /// A new private directory for fetched copies (mkdtemp: 0700, this account's): BACKUP_DIR is
    /// writable by the server's account, which must not be able to plant a fixed name there.
    private var fetchDirectory: String?

    init(remote: RemoteCopyOperation?, prefix: String, backupDirectory: String) {
        self.remote = remote
        self.prefix = prefix
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

    /// The next archive to try; `nil` when none is left.
    mutating func next(run: inout RestoreRun) -> RestoreOperation.Candidate? {
        while tried == local.count + fetched.count, let copies = remote, !fetchNextRemote(copies, run: &run) {}
        let all = local + fetched
        guard tried < all.count else { return nil }
        tried += 1
        return all[tried - 1]
    }

    /// Fetches the next remote copy, listing them the first time; `false` when one could not be
    /// fetched (it is listed as skipped) and the next should be tried.
    private mutating func fetchNextRemote(_ copies: RemoteCopyOperation, run: inout RestoreRun) -> Bool {
        if !listedRemote {
            listedRemote = true
            do {
                // Only this database's copies (the manifest's database is checked once fetched).
                pendingRemote = try copies.completeBackups().filter { $0.prefix == prefix }
                if pendingRemote.isEmpty { run.result.skippedBackups.append("no complete backup on \(copies.store.description)") }
            } catch {
                run.result.skippedBackups.append("remote copies: \(error)")
            }
        }
        guard !pendingRemote.isEmpty else { return true }
        let name = pendingRemote.removeFirst()
        run.begin("fetch remote copy")
        do {
            if fetchDirectory == nil { fetchDirectory = try RestoreOperation.makeFetchDirectory(in: backupDirectory) }
            let archive = try copies.fetch(name, into: fetchDirectory!)
            fetched.append((archive, archive + BackupArchiveName.manifestSuffix, true))
            run.result.fetchedFromRemote.append("\(name.fileName) from \(copies.store.description)")
            return true
        } catch {
            run.result.skippedBackups.append("remote \(name.fileName) could not be fetched: \(error)")
            return false
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
