import Crypto
import Foundation

/// Checks a base backup archive end to end: the pra manifest, size and SHA-256 of the archive,
/// the compressed stream (in the codec both the manifest and the file name give, its magic
/// number checked before a byte is decompressed), the tar structure through its end-of-archive
/// marker, PostgreSQL's `backup_manifest` inside it against the copy kept beside it, and every
/// file's content against the CRC-32C that manifest gives it (as `pg_verifybackup` would check
/// the extracted tree, here in the same pass).
public struct BaseBackupVerifier: Sendable {
    public var phase: String

    public init(phase: String = "verify") {
        self.phase = phase
    }

    private struct SinkFailure: Error {
        let underlying: Error
    }

    /// Verifies `entry`, handing the tar stream to `sink` (a restore extracts it in the same
    /// pass). Throws only what `sink` throws. `archive`: read the archive from there instead of
    /// `entry.archivePath` (an off-site copy streamed as it arrives, ``RemoteArchiveStream``).
    public func verify(_ entry: BaseBackupCatalogue.Entry, archive: FileHandle? = nil, progress: ProgressReporter? = nil, sink: (UnsafeRawBufferPointer) throws -> Void = { _ in }) throws -> VerificationResult {
        let started = MonotonicClock.now()
        var result = VerificationResult(archive: entry.archivePath)
        guard let manifest = entry.manifest else {
            result.problems.append(entry.manifestProblem.map { .init(kind: .manifestInvalid, message: $0) }
                ?? .init(kind: .manifestMissing, message: "no manifest \((entry.manifestPath as NSString).lastPathComponent): the base backup never completed"))
            return result
        }
        result.hasManifest = true
        result.database = manifest.database
        result.backupFinishedAt = manifest.finishedAt
        let keptManifest = Self.checkKeptManifest(entry, against: manifest, into: &result)
        guard let handle = archive ?? FileHandle(forReadingAtPath: entry.archivePath) else {
            result.problems.append(.init(kind: .unreadable, message: "cannot open \(entry.archivePath)"))
            return result
        }
        defer { try? handle.close() }
        let checksums = keptManifest.flatMap { PostgresBackupManifestChecksums(manifest: $0) }
        let tar = try read(handle, path: entry.archivePath, manifest: manifest, checksums: checksums, progress: progress, into: &result, sink: sink)
        Self.judge(&result, tar: tar, manifest: manifest)
        result.trailerFound = tar.reachedEnd
        result.seconds = started.elapsed()
        return result
    }

    /// PostgreSQL's `backup_manifest` kept beside the archive must be the one the pra manifest
    /// recorded; its bytes when it is.
    @discardableResult
    static func checkKeptManifest(_ entry: BaseBackupCatalogue.Entry, against manifest: BaseBackupManifest, into result: inout VerificationResult) -> Data? {
        let keptManifest = FileManager.default.contents(atPath: entry.postgresManifestPath)
        if keptManifest.map({ SHA256.hash(data: $0).hex }) != manifest.postgresManifestSHA256 {
            result.problems.append(.init(kind: .checksumMismatch, message: keptManifest == nil
                ? "PostgreSQL's backup_manifest \((entry.postgresManifestPath as NSString).lastPathComponent) is missing"
                : "PostgreSQL's backup_manifest beside the archive does not match the SHA-256 recorded in the pra manifest"))
            return nil
        }
        return keptManifest
    }

    /// Reads the archive through: SHA-256 of what is stored, the compressed stream, and the tar
    /// inside (nothing from a forbidden entry on reaches `sink`); damage is recorded in `result`.
    /// Throws only what `sink` throws.
    func read(_ handle: FileHandle, path: String, manifest: BaseBackupManifest, checksums: PostgresBackupManifestChecksums?, progress: ProgressReporter?, into result: inout VerificationResult, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> TarStreamScanner {
        var hasher = SHA256()
        var tar = TarStreamScanner(keeping: "backup_manifest")
        tar.checksums = checksums
        var readBytes: UInt64 = 0
        let named = CompressionCodec.named(by: path)
        if named != manifest.codec {
            // Nothing is decompressed on the word of one: the name and the manifest must agree.
            result.problems.append(.codecDisagreement(recorded: manifest.codec, named: named, fileName: (path as NSString).lastPathComponent))
            progress?.finish()
            return tar
        }
        do {
            let inflater = try CheckedDecompressor(codec: manifest.codec)
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                readBytes += UInt64(chunk.count)
                hasher.update(data: chunk)
                try chunk.withUnsafeBytes { buffer in
                    try inflater.decompress(buffer) { piece in
                        tar.scan(piece)
                        // Nothing from a forbidden entry on reaches tar (the piece that holds
                        // its header included).
                        if tar.forbiddenEntry != nil { return }
                        do {
                            try sink(piece)
                        } catch {
                            throw SinkFailure(underlying: error)
                        }
                    }
                }
                progress?.update(phase: phase, bytes: readBytes, total: manifest.compressedBytes)
            }
            try inflater.finish()
            result.uncompressedBytes = inflater.bytesOut
        } catch let failure as SinkFailure {
            progress?.finish()
            throw failure.underlying
        } catch let error as CodecError {
            result.problems.append(.init(codec: error, file: path))
        } catch {
            result.problems.append(.init(kind: .unreadable, message: "cannot read \(path): \(error.localizedDescription)"))
        }
        progress?.finish()
        result.compressedBytes = readBytes
        result.sha256 = hasher.finalize().hex
        return tar
    }

    /// Size and SHA-256 against the manifest, then the tar: no forbidden entry, whole, ended,
    /// and holding the `backup_manifest` recorded.
    static func judge(_ result: inout VerificationResult, tar: TarStreamScanner, manifest: BaseBackupManifest) {
        if result.compressedBytes != manifest.compressedBytes {
            result.problems.append(ArchiveVerifier.sizeProblem(actual: result.compressedBytes, expected: manifest.compressedBytes))
        }
        if result.sha256 != manifest.sha256 {
            result.problems.append(.init(kind: .checksumMismatch, message: "SHA-256 \(result.sha256.prefix(16))… does not match the manifest's \(manifest.sha256.prefix(16))…"))
        }
        if let forbidden = tar.forbiddenEntry {
            result.problems.append(.init(kind: .forbiddenEntry, message: "the tar archive holds what no base backup does, \(forbidden); nothing from it on was extracted"))
        }
        let streamIntact = !result.problems.contains { [.corruptData, .truncated, .trailingGarbage, .unreadable].contains($0.kind) }
        if streamIntact {
            if let problem = tar.problem {
                result.problems.append(.init(kind: .corruptData, message: "the tar archive inside is damaged: \(problem)"))
            } else if !tar.reachedEnd {
                result.problems.append(.init(kind: .trailerMissing, message: "the tar archive inside has no end-of-archive marker: pg_basebackup did not finish"))
            } else if let inside = tar.keptContent, SHA256.hash(data: inside).hex != manifest.postgresManifestSHA256 {
                result.problems.append(.init(kind: .checksumMismatch, message: "the backup_manifest inside the archive differs from the one recorded"))
            } else if !tar.checksumMismatches.isEmpty {
                result.problems.append(.init(kind: .checksumMismatch, message: "files differ from PostgreSQL's backup_manifest: \(tar.checksumMismatches.joined(separator: "; "))"))
            }
        }
        result.postgresChecksumsMatched = result.valid && tar.allChecksumsMatched
    }
}
