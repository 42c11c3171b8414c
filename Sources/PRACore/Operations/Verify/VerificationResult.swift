import Foundation

/// The verdict on one archive.
public struct VerificationResult: Codable, Sendable {
    /// One reason an archive is not valid.
    public struct Problem: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable {
            case manifestMissing = "manifest-missing"
            case manifestInvalid = "manifest-invalid"
            case unreadable
            case corruptData = "corrupt-data"
            case truncated
            case trailingGarbage = "trailing-garbage"
            case trailerMissing = "trailer-missing"
            case sizeMismatch = "size-mismatch"
            case checksumMismatch = "checksum-mismatch"
        }

        public var kind: Kind
        public var message: String
    }

    public var archive: String
    public var valid: Bool { problems.isEmpty }
    public var hasManifest = false
    public var problems: [Problem] = []
    /// Said of a valid file that no manifest vouches for.
    public var note: String?
    public var compressedBytes: UInt64 = 0
    public var uncompressedBytes: UInt64?
    public var sha256 = ""
    public var trailerFound = false
    public var database: String?
    public var backupFinishedAt: Date?
    public var seconds: Double = 0

    public init(archive: String) {
        self.archive = archive
    }

    enum CodingKeys: String, CodingKey {
        case archive, valid, hasManifest, problems, note, compressedBytes, uncompressedBytes, sha256, trailerFound, database, backupFinishedAt, seconds
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(archive, forKey: .archive)
        try container.encode(valid, forKey: .valid)
        try container.encode(hasManifest, forKey: .hasManifest)
        try container.encode(problems, forKey: .problems)
        try container.encodeIfPresent(note, forKey: .note)
        try container.encode(compressedBytes, forKey: .compressedBytes)
        try container.encodeIfPresent(uncompressedBytes, forKey: .uncompressedBytes)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(trailerFound, forKey: .trailerFound)
        try container.encodeIfPresent(database, forKey: .database)
        try container.encodeIfPresent(backupFinishedAt, forKey: .backupFinishedAt)
        try container.encode(seconds, forKey: .seconds)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        archive = try container.decode(String.self, forKey: .archive)
        hasManifest = try container.decode(Bool.self, forKey: .hasManifest)
        problems = try container.decode([Problem].self, forKey: .problems)
        note = try container.decodeIfPresent(String.self, forKey: .note)
        compressedBytes = try container.decode(UInt64.self, forKey: .compressedBytes)
        uncompressedBytes = try container.decodeIfPresent(UInt64.self, forKey: .uncompressedBytes)
        sha256 = try container.decode(String.self, forKey: .sha256)
        trailerFound = try container.decode(Bool.self, forKey: .trailerFound)
        database = try container.decodeIfPresent(String.self, forKey: .database)
        backupFinishedAt = try container.decodeIfPresent(Date.self, forKey: .backupFinishedAt)
        seconds = try container.decode(Double.self, forKey: .seconds)
    }

    /// One line: the file name, the verdict and the first reason.
    public var summary: String {
        let name = (archive as NSString).lastPathComponent
        if valid {
            return "\(name): valid" + (note.map { " (\($0))" } ?? "")
        }
        return "\(name): INVALID: " + problems.map(\.message).joined(separator: "; ")
    }
}

/// What the last verification of an archive found; kept beside it as `<archive>.verify.json`
/// so that `pra status` can report a failed verification.
public struct VerificationRecord: Codable, Sendable {
    public var verifiedAt: Date
    public var valid: Bool
    public var problems: [String]

    public init(result: VerificationResult, at date: Date = Date()) {
        verifiedAt = date
        valid = result.valid
        problems = result.problems.map(\.message)
    }

    /// Writes the record beside the archive (best effort: a read-only directory is not an error).
    public static func save(_ result: VerificationResult) {
        let record = VerificationRecord(result: result)
        try? DurableFile.write(try! JSONCoding.encoder.encode(record), to: result.archive + BackupArchiveName.verificationSuffix)
    }

    public static func load(archivePath: String) -> VerificationRecord? {
        guard let data = FileManager.default.contents(atPath: archivePath + BackupArchiveName.verificationSuffix) else { return nil }
        return try? JSONCoding.decoder.decode(VerificationRecord.self, from: data)
    }
}
