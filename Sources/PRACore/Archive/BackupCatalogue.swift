import Foundation

/// The backups found in a directory, newest first.
public struct BackupCatalogue: Sendable {
    /// One archive and what is known about it.
    public struct Entry: Sendable {
        public let name: BackupArchiveName
        public let archivePath: String
        public let manifestPath: String
        /// The decoded manifest, or why it could not be read (`nil` both: no manifest file).
        public let manifest: BackupManifest?
        public let manifestProblem: String?

        /// An archive with a valid manifest: the only kind `pra` treats as a good backup.
        public var isComplete: Bool { manifest != nil }
        public var hasManifestFile: Bool { manifest != nil || manifestProblem != nil }
        public var verificationRecordPath: String { archivePath + BackupArchiveName.verificationSuffix }
    }

    public let directory: String
    public let entries: [Entry]

    /// Scans `directory`. A missing directory gives an empty catalogue.
    public init(directory: String) {
        self.directory = directory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var entries: [Entry] = []
        for fileName in names {
            guard let name = BackupArchiveName(fileName: fileName) else { continue }
            let archivePath = (directory as NSString).appendingPathComponent(fileName)
            let manifestPath = archivePath + BackupArchiveName.manifestSuffix
            var manifest: BackupManifest?
            var problem: String?
            if FileManager.default.fileExists(atPath: manifestPath) {
                do {
                    manifest = try BackupManifest.load(path: manifestPath)
                } catch {
                    problem = error.description
                }
            }
            entries.append(Entry(name: name, archivePath: archivePath, manifestPath: manifestPath, manifest: manifest, manifestProblem: problem))
        }
        self.entries = entries.sorted { $0.name.timestamp > $1.name.timestamp }
    }

    public var complete: [Entry] { entries.filter(\.isComplete) }
    public var newestComplete: Entry? { complete.first }
}
