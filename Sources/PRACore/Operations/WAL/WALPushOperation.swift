import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pra wal push PATH` (PostgreSQL's `archive_command`): compresses (`WAL_COMPRESSION`) and
/// hashes the file into the WAL archive under a temporary name, fsyncs it and links it into place.
///
/// Idempotent as PostgreSQL requires: a file already archived with the same content succeeds
/// without writing, once the archived copy has been read back whole (a damaged copy of the same
/// content is replaced); the same name with other content fails and is never overwritten.
/// Timeline history and backup history files are checked before they are archived. Any
/// failure throws, so PostgreSQL keeps the file and retries: nothing is lost.
public struct WALPushOperation {
    public var configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func run(path: String) throws(OperationFailure) -> WALPushResult {
        let run = RunRecorder()
        let baseName = (path as NSString).lastPathComponent
        guard let name = WALFileName(baseName) else {
            throw OperationFailure(stage: "wal push", message: WALArchiveError.invalidName(baseName).description, isUsageError: true)
        }
        let codec: CompressionCodec
        let level: Int
        let remote: RemoteWALArchive?
        let asynchronous: Bool
        do {
            codec = try configuration.codec(.walCompression)
            level = try configuration.compressionLevel(for: codec)
            remote = try RemoteWALArchive(configuration: configuration)
            asynchronous = try WALSyncOperation.isAsynchronous(configuration)
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        let archive = WALArchive(backupDirectory: configuration.backupDirectory)
        var result: WALPushResult
        do {
            result = try push(path: path, name: name, into: archive, codec: codec, level: level)
        } catch let error as WALArchiveError {
            throw OperationFailure(stage: "wal push", message: error.description)
        } catch {
            throw OperationFailure(stage: "wal push", error)
        }
        if remote != nil, asynchronous {
            // Archived locally (durable): the copier takes it off-site; the primary never waits for the store.
            result.offSite = WALSyncOperation.startInBackground(configuration: configuration)
        } else if let remote {
            try copyOffSite(&result, name: name, archive: archive, to: remote)
        }
        result.seconds = run.elapsed()
        return result
    }

    /// Synchronous mode: the archived file goes to `REMOTE_TARGET/wal` under the same name
    /// (one flat directory), checked, before the push returns; a failure fails the push (the
    /// file stays archived locally and PostgreSQL retries).
    private func copyOffSite(_ result: inout WALPushResult, name: WALFileName, archive: WALArchive, to remote: RemoteWALArchive) throws(OperationFailure) {
        let store = remote.store
        let fileName = (result.archivedPath as NSString).lastPathComponent
        let digest: FileDigest
        do {
            digest = try FileDigest(path: result.archivedPath)
        } catch {
            throw OperationFailure(stage: "wal push", message: error.description)
        }
        do throws(RemoteWALError) {
            do throws(RemoteError) {
                // Created first: an ssh or directory target has no wal/ to read the marker from before the first copy.
                try store.prepare()
            } catch {
                throw .remote(error)
            }
            // Never into another cluster's off-site WAL.
            if let identity = try? archive.identity() {
                try remote.claim(identity, markerPath: archive.identityPath, scratch: archive.root)
            }
            do throws(RemoteError) {
                try store.put(result.archivedPath, as: fileName, expected: digest)
            } catch {
                throw .remote(error)
            }
            result.remoteTarget = store.description
        } catch {
            throw OperationFailure(stage: "wal push", message: "\(name.text) is archived locally but the copy to \(store.description) failed (PostgreSQL will retry): \(error.description)")
        }
    }

    private func push(path: String, name: WALFileName, into archive: WALArchive, codec: CompressionCodec, level: Int) throws -> WALPushResult {
        guard let input = FileHandle(forReadingAtPath: path) else {
            throw WALArchiveError.file(FileError(operation: .open, path: path, code: errno))
        }
        defer { try? input.close() }
        let directory = try Self.prepareDirectory(for: name, in: archive)
        // Temporary files of killed pushes (never one whose writer may still be running).
        WALStagingFile.removeAbandoned(in: directory)
        // Compress under a temporary name of this push's own; whether it is new is known once it is hashed.
        let staging = try WALStagingFile(directory: directory, name: name.text)
        let compressed = try Self.compress(input, path: path, keepingContent: name.kind == .history || name.kind == .backupLabel, codec: codec, level: level, into: staging)
        let identity = try Self.check(compressed, of: name, path: path, archive: archive)
        if let existing = try archive.find(name) {
            return try settle(existing: existing, staging: staging, archive: archive, name: name, codec: codec, sha256: compressed.sha256, size: compressed.size, identity: identity)
        }
        let final = (directory as NSString).appendingPathComponent(WALArchive.fileName(name, sha256: compressed.sha256, codec: codec))
        do {
            try staging.link(as: final)
        } catch {
            // EEXIST: a concurrent push of the same content got there first: its copy is checked as any other.
            guard error.code == EEXIST, let existing = try archive.find(name) else { throw WALArchiveError.file(error) }
            return try settle(existing: existing, staging: staging, archive: archive, name: name, codec: codec, sha256: compressed.sha256, size: compressed.size, identity: identity)
        }
        do {
            _ = try archive.find(name)
        } catch {
            // A concurrent push of other content for the same name: keep the other, fail this one.
            unlink(final)
            throw error
        }
        return WALPushResult(name: name.text, archivedPath: final, alreadyArchived: false, uncompressedBytes: compressed.size, compressedBytes: compressed.compressedBytes, sha256: compressed.sha256, systemIdentifier: identity?.systemIdentifier)
    }

    /// The archive directory of `name`, created (and made durable) when missing.
    static func prepareDirectory(for name: WALFileName, in archive: WALArchive) throws -> String {
        let directory = archive.directory(for: name)
        var isDirectory: ObjCBool = false
        guard !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { return directory }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw WALArchiveError.file(FileError(operation: .mkdir, path: directory, code: errno))
        }
        // The new directory survives a crash, or the segments linked into it would not.
        DurableFile.syncDirectory(of: directory)
        DurableFile.syncDirectory(of: archive.root)
        return directory
    }

    /// What compressing a WAL file gave: its size and SHA-256, its header, and (history and
    /// backup history files, which are small) its whole content, to be checked before archiving.
    struct CompressedFile {
        var size: UInt64
        var compressedBytes: UInt64
        var sha256: String
        var header: [UInt8]
        var content: Data
    }

    /// Compresses `input` into `staging` in `codec` (gzip: libdeflate in blocks, as full and
    /// base backups, half zlib's CPU per segment), on one thread whatever the codec, since
    /// archive_command runs beside the server's own work; hashing it as it goes.
    static func compress(_ input: FileHandle, path: String, keepingContent keepsContent: Bool, codec: CompressionCodec, level: Int, into staging: WALStagingFile) throws -> CompressedFile {
        let deflater = try codec.archiveCompressor(level: level, jobs: 1)
        var hasher = SHA256()
        var header: [UInt8] = []
        var content = Data()
        var size: UInt64 = 0
        let write: (UnsafeRawBufferPointer) throws -> Void = { try staging.write($0) }
        while true {
            let chunk: Data
            do {
                guard let read = try input.read(upToCount: 1 << 20), !read.isEmpty else { break }
                chunk = read
            } catch {
                throw WALArchiveError.file(FileError(operation: .read, path: path, code: EIO, bytes: size))
            }
            if header.count < WALSegmentHeader.length { header += chunk.prefix(WALSegmentHeader.length - header.count) }
            if keepsContent && content.count <= TimelineHistory.maximumFileBytes { content.append(chunk) }
            size += UInt64(chunk.count)
            hasher.update(data: chunk)
            try chunk.withUnsafeBytes { try deflater.compress($0, sink: write) }
        }
        try deflater.finish(sink: write)
        return CompressedFile(size: size, compressedBytes: deflater.bytesOut, sha256: hasher.finalize().hex, header: header, content: content)
    }

    /// Checks the file is what its name says: a segment of this system (claiming the archive
    /// for it when new) and complete, or a valid timeline history or backup history file.
    /// Returns the system a segment belongs to.
    static func check(_ file: CompressedFile, of name: WALFileName, path: String, archive: WALArchive) throws -> WALArchive.Identity? {
        switch name.kind {
        case .segment, .partial:
            switch WALSegmentHeader.parse(file.header) {
            case .success(let parsed):
                if name.kind == .segment && parsed.segmentSize != file.size {
                    throw WALArchiveError.notAWALFile(path: path, reason: "\(file.size) bytes, but its header says segments are \(parsed.segmentSize) bytes (an incomplete segment)")
                }
                return try archive.claim(for: name, header: parsed)
            case .failure(let problem):
                throw WALArchiveError.notAWALFile(path: path, reason: problem.reason)
            }
        case .history:
            // A forged or damaged history moves where recovery switches timelines: refused here.
            do {
                _ = try TimelineHistory.validated(timeline: name.timeline, content: file.content)
            } catch {
                throw WALArchiveError.invalidContent(name: name.text, path: path, kind: "timeline history", problem: error)
            }
        case .backupLabel:
            let segmentSize = (try? archive.identity())??.segmentSize ?? 16 << 20
            do {
                _ = try BackupHistoryLabel.validated(name: name, content: file.content, segmentSize: segmentSize)
            } catch {
                throw WALArchiveError.invalidContent(name: name.text, path: path, kind: "backup history file", problem: error)
            }
        }
        return nil
    }

    /// `name` is archived already as `existing`: "already archived" only when that copy reads
    /// back whole with the content pushed now. A damaged copy of the same content (the SHA-256
    /// in its name is the one just computed) is replaced by the checked file just written; a
    /// copy of other content is never replaced, damaged or not. A copy in another codec
    /// (`WAL_COMPRESSION` changed) of the same content counts as archived; a damaged one is
    /// replaced under the name of the codec just written.
    private func settle(existing: WALArchive.File, staging: WALStagingFile, archive: WALArchive, name: WALFileName, codec: CompressionCodec, sha256: String, size: UInt64, identity: WALArchive.Identity?) throws -> WALPushResult {
        let damage = archive.damage(of: existing)
        guard existing.sha256 == sha256 else {
            staging.discard()
            if let damage {
                throw WALArchiveError.damagedCollision(name: name.text, path: existing.path, damage: damage, incomingSHA256: sha256)
            }
            throw WALArchiveError.collision(name: name.text, archivedSHA256: existing.sha256, incomingSHA256: sha256, path: existing.path)
        }
        guard let damage else {
            staging.discard()
            return WALPushResult(name: name.text, archivedPath: existing.path, alreadyArchived: true, uncompressedBytes: size, compressedBytes: existing.compressedBytes, sha256: sha256, systemIdentifier: identity?.systemIdentifier)
        }
        let compressed = staging.bytesWritten
        let replacement = ((existing.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(WALArchive.fileName(name, sha256: sha256, codec: codec))
        do {
            try staging.replace(replacement)
        } catch {
            throw WALArchiveError.file(error)
        }
        if replacement != existing.path {
            // The sound copy is in place first: a crash between the two leaves both, same content.
            unlink(existing.path)
            DurableFile.syncDirectory(of: replacement)
        }
        var result = WALPushResult(name: name.text, archivedPath: replacement, alreadyArchived: false, uncompressedBytes: size, compressedBytes: compressed, sha256: sha256, systemIdentifier: identity?.systemIdentifier)
        result.replacedDamaged = damage
        return result
    }
}
