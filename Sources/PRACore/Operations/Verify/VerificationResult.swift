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
            case metaCommand = "meta-command"
            /// A tar entry no base backup holds (setuid bits, a device, a link out of the target...).
            case forbiddenEntry = "forbidden-entry"
            /// A base backup's range map, or an incremental's chain (a link missing, altered or damaged).
            case chainBroken = "chain-broken"
        }

        public var kind: Kind
        public var message: String
    }

    public var archive: String
    /// True when no problem was found.
    public private(set) var valid = true
    public var hasManifest = false
    public var problems: [Problem] = [] {
        didSet { valid = problems.isEmpty }
    }
    /// Said of a valid file that no manifest vouches for.
    public var note: String?
    public var compressedBytes: UInt64 = 0
    public var uncompressedBytes: UInt64?
    public var sha256 = ""
    public var trailerFound = false
    /// Every file PostgreSQL's `backup_manifest` gives a CRC-32C was read and matched in this
    /// pass (a base backup): `pg_verifybackup` need not read the extracted tree again for them.
    public var postgresChecksumsMatched = false
    public var database: String?
    public var backupFinishedAt: Date?
    public var seconds: Double = 0

    public init(archive: String) {
        self.archive = archive
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

extension VerificationResult.Problem {
    /// The problem a damaged gzip stream is.
    public init(gzip error: GzipError) {
        let kind: Kind
        switch error.kind {
        case .trailingGarbage: kind = .trailingGarbage
        case .truncated: kind = .truncated
        default: kind = .corruptData
        }
        self.init(kind: kind, message: error.description)
    }

    /// The manifest records one codec and the file's name says another (`nil`: none known).
    public static func codecDisagreement(recorded: CompressionCodec, named: CompressionCodec?, fileName: String) -> Self {
        .init(kind: .manifestInvalid, message: "the manifest records \(recorded.rawValue) but the file name \(fileName) says \(named?.rawValue ?? "no known codec")")
    }

    /// The problem a zstd, lz4 (or gzip, read as any codec) stream failure amounts to; a stream
    /// in another format than the one its name and manifest give is corrupt data, named.
    public init(codec error: CodecError, file: String) {
        let kind: Kind
        switch error.kind {
        case .trailingGarbage: kind = .trailingGarbage
        case .truncated: kind = .truncated
        default: kind = .corruptData
        }
        self.init(kind: kind, message: error.kind == .wrongFormat ? "\((file as NSString).lastPathComponent) is \(error.description)" : error.description)
    }
}
