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

    private init(directory: String, entries: [Entry]) {
        self.directory = directory
        self.entries = entries
    }

    /// The backups of `database` only: archive prefix `prefix` and, when the manifest is
    /// readable, the manifest's database. Another database's backups in the same directory
    /// are never restored, judged or deleted in its place.
    public func scoped(database: String, prefix: String) -> BackupCatalogue {
        BackupCatalogue(directory: directory, entries: entries.filter { entry in
            entry.name.prefix == prefix && (entry.manifest.map { $0.database == database } ?? true)
        })
    }

    /// Whose backup `entry` is, for listings: the manifest's database, else the prefix.
    public static func owner(of entry: Entry) -> String {
        if let manifest = entry.manifest { return "database \(manifest.database)" }
        return "prefix \(entry.name.prefix), no valid manifest"
    }

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
                    let loaded = try BackupManifest.load(path: manifestPath)
                    problem = Self.implausibility(of: loaded, archivePath: archivePath)
                    if problem == nil { manifest = loaded }
                } catch {
                    problem = error.description
                }
            }
            entries.append(Entry(name: name, archivePath: archivePath, manifestPath: manifestPath, manifest: manifest, manifestProblem: problem))
        }
        self.entries = entries.sorted { $0.name.timestamp > $1.name.timestamp }
    }

    /// Why a readable manifest still does not make a complete backup: it finished in the future
    /// (beyond five minutes of clock skew).
    static func implausibility(of manifest: BackupManifest, archivePath: String, now: Date = Date()) -> String? {
        if manifest.finishedAt > now.addingTimeInterval(300) {
            return "manifest \((archivePath as NSString).lastPathComponent)\(BackupArchiveName.manifestSuffix): finishedAt \(ISO8601DateFormatter().string(from: manifest.finishedAt)) is in the future"
        }
        return nil
    }

    /// The archive's size is not the one its manifest records (`nil`: it is, or no manifest).
    public static func sizeProblem(of entry: Entry) -> String? {
        guard let manifest = entry.manifest else { return nil }
        var info = stat()
        let size = stat(entry.archivePath, &info) == 0 ? UInt64(info.st_size) : 0
        if size != manifest.compressedBytes {
            return "\(entry.name.fileName) is \(size) bytes, its manifest says \(manifest.compressedBytes)"
        }
        return nil
    }

    public var complete: [Entry] { entries.filter(\.isComplete) }
    public var newestComplete: Entry? { complete.first }
}
