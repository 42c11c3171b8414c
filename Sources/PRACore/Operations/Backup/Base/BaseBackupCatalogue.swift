import Foundation

/// The base backups found in a directory, newest first.
public struct BaseBackupCatalogue: Sendable {
    /// One base backup archive and what is known about it.
    public struct Entry: Sendable {
        public let name: BackupArchiveName
        public let archivePath: String
        public let manifestPath: String
        /// The decoded manifest, or why it could not be read (`nil` both: no manifest file).
        public let manifest: BaseBackupManifest?
        public let manifestProblem: String?

        public var isComplete: Bool { manifest != nil }
        public var postgresManifestPath: String { archivePath + BaseBackupManifest.postgresManifestSuffix }
        public var verificationRecordPath: String { archivePath + BackupArchiveName.verificationSuffix }
        /// The ``RangeMap`` beside the archive (every base backup pra takes has one).
        public var rangeMapPath: String { archivePath + RangeMap.fileSuffix }
    }

    public let directory: String
    public let entries: [Entry]

    /// Scans `directory`; when `database` is given, only the backups taken for it.
    public init(directory: String, database: String? = nil) {
        self.directory = directory
        var entries: [Entry] = []
        for fileName in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let name = BackupArchiveName(fileName: fileName, kind: .base) else { continue }
            let archivePath = (directory as NSString).appendingPathComponent(fileName)
            let manifestPath = archivePath + BackupArchiveName.manifestSuffix
            var manifest: BaseBackupManifest?
            var problem: String?
            if FileManager.default.fileExists(atPath: manifestPath) {
                do {
                    manifest = try BaseBackupManifest.load(path: manifestPath)
                } catch {
                    problem = error.description
                }
            }
            if let database, let manifest, manifest.database != database { continue }
            entries.append(Entry(name: name, archivePath: archivePath, manifestPath: manifestPath, manifest: manifest, manifestProblem: problem))
        }
        self.entries = entries.sorted { $0.name.timestamp > $1.name.timestamp }
    }

    public var complete: [Entry] { entries.filter(\.isComplete) }
    public var newestComplete: Entry? { complete.first }
    public var oldestComplete: Entry? { complete.last }
}
