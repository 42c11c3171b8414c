import Foundation
import PRACore

/// The backup directory as it was before a step: which files, which complete backups, and
/// (when asked) the SHA-256 of each complete backup's files, to prove them untouched.
struct BackupSnapshot {
    let directory: String
    let files: Set<String>
    let complete: [BackupCatalogue.Entry]
    let digests: [String: String]
    /// Where base backups live, its files and the archive paths of its complete base backups.
    let baseDirectory: String
    let baseFiles: Set<String>
    let completeBase: Set<String>

    init(directory: String, digests wanted: Bool) {
        self.directory = directory
        files = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        complete = BackupCatalogue(directory: directory).complete
        let base = BaseBackupCatalogue(directory: directory)
        baseDirectory = base.directory
        baseFiles = Set((try? FileManager.default.contentsOfDirectory(atPath: base.directory)) ?? [])
        completeBase = Set(base.complete.map(\.archivePath))
        var digests: [String: String] = [:]
        if wanted {
            for entry in complete {
                for path in [entry.archivePath, entry.manifestPath] { digests[path] = Self.digest(path) }
            }
        }
        self.digests = digests
    }

    /// SHA-256 of a file, streamed; `nil` when it cannot be read.
    static func digest(_ path: String) -> String? {
        (try? FileDigest(path: path))?.sha256
    }

    /// Earlier complete backups whose files changed or vanished since the snapshot.
    func changedBackups() -> [String] {
        digests.compactMap { path, digest in Self.digest(path) == digest ? nil : (path as NSString).lastPathComponent }.sorted()
    }
}
