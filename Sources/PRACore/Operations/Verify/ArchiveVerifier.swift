import Crypto
import Foundation

/// Checks an archive end to end: decompresses all of it (gzip, zstd or lz4: ``codec(of:manifest:into:)``), compares size and SHA-256 with the
/// manifest, and looks for pg_dump's completion trailer.
public struct ArchiveVerifier: Sendable {
    /// The last lines pg_dump writes to a plain dump that completed.
    public static let dumpTrailer = "-- PostgreSQL database dump complete"

    /// The label of the progress line.
    public var phase: String

    public init(phase: String = "verify") {
        self.phase = phase
    }

    private struct SinkFailure: Error {
        let underlying: Error
    }


    /// Verifies `archivePath`. With `manifestPath` the manifest must exist and match; with
    /// `requireManifest` a missing manifest is a failure (an incomplete backup).
    public func verify(archivePath: String, manifestPath: String?, requireManifest: Bool, progress: ProgressReporter? = nil) -> VerificationResult {
        do {
            return try verify(archivePath: archivePath, manifestPath: manifestPath, requireManifest: requireManifest, progress: progress) { _ in }
        } catch {
            fatalError("a sink that does nothing cannot fail: \(error)")
        }
    }

    /// The checks that need no reading of the archive: manifest present and valid, file size
    /// as the manifest says. Empty when they pass.
    public func precheck(archivePath: String, manifestPath: String, requireManifest: Bool) -> [VerificationResult.Problem] {
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            return requireManifest ? [.init(kind: .manifestMissing, message: "no manifest \((manifestPath as NSString).lastPathComponent): the backup never completed")] : []
        }
        let manifest: BackupManifest
        do {
            manifest = try BackupManifest.load(path: manifestPath)
        } catch {
            return [.init(kind: .manifestInvalid, message: error.description)]
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: archivePath)[.size]) as? NSNumber)?.uint64Value ?? 0
        guard size == manifest.compressedBytes else {
            return [Self.sizeProblem(actual: size, expected: manifest.compressedBytes)]
        }
        return []
    }

    /// `piece` without the byte ranges `cut` (sorted, disjoint), handed to `body`.
    static func withoutRanges(_ piece: UnsafeRawBufferPointer, _ cut: [Range<Int>], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var kept: [UInt8] = []
        kept.reserveCapacity(piece.count)
        var position = 0
        for range in cut {
            kept.append(contentsOf: piece[position..<range.lowerBound])
            position = range.upperBound
        }
        kept.append(contentsOf: piece[position...])
        try kept.withUnsafeBytes { try body($0) }
    }

    /// A sentence when `path` is not a regular file (a directory, a device, missing).
    public static func notARegularFile(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT ? "\(path) does not exist" : "cannot read \(path): \(String(cString: strerror(errno)))"
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "\(path) is a directory, not an archive file"
        default: return "\(path) is not a regular file"
        }
    }

    static func sizeProblem(actual: UInt64, expected: UInt64) -> VerificationResult.Problem {
        let how = actual < expected ? "\(expected - actual) bytes missing (truncated)" : "\(actual - expected) bytes appended"
        return .init(kind: .sizeMismatch, message: "archive is \(actual) bytes, manifest says \(expected): \(how)")
    }

    /// Verifies while handing every inflated chunk to `sink`, so that a restore can load the
    /// archive in the same pass. Throws only what `sink` throws; reading stops there.
    /// - Parameter forPsql: leave pg_dump's `\restrict`/`\unrestrict` lines out of what `sink`
    ///   receives: a restore starts psql with a key of its own (``PsqlRestriction``).
    public func verify(archivePath: String, manifestPath: String?, requireManifest: Bool, progress: ProgressReporter? = nil, forPsql: Bool = false, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> VerificationResult {
        let started = MonotonicClock.now()
        var result = VerificationResult(archive: archivePath)
        let manifest = Self.loadManifest(manifestPath, required: requireManifest, into: &result)
        if let problem = Self.notARegularFile(archivePath) {
            result.problems.append(.init(kind: .unreadable, message: problem))
            result.seconds = started.elapsed()
            return result
        }
        let descriptor = open(archivePath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            result.problems.append(.init(kind: .unreadable, message: "cannot open \(archivePath): \(String(cString: strerror(errno)))"))
            result.seconds = started.elapsed()
            return result
        }
        // Reading and SHA-256 on one thread, inflating (and the sink) on this one.
        let reader = HashingFileReader(descriptor: descriptor, path: archivePath)
        defer { reader.cancel() }
        let codec = Self.codec(of: archivePath, manifest: manifest, into: &result)
        let stream = try inflate(reader, archivePath: archivePath, codec: codec, restrictKey: manifest?.restrictKey, progress: progress, forPsql: forPsql, into: &result, sink: sink)
        Self.judge(&result, stream: stream, read: reader.result, manifest: manifest)
        result.seconds = started.elapsed()
        return result
    }

    /// The manifest beside the archive, when there is one that reads; a missing (when
    /// `required`) or invalid one is a problem, and no manifest at all a note.
    static func loadManifest(_ manifestPath: String?, required: Bool, into result: inout VerificationResult) -> BackupManifest? {
        var manifest: BackupManifest?
        if let manifestPath {
            if FileManager.default.fileExists(atPath: manifestPath) {
                do {
                    manifest = try BackupManifest.load(path: manifestPath)
                    result.hasManifest = true
                } catch {
                    result.problems.append(.init(kind: .manifestInvalid, message: error.description))
                }
            } else if required {
                result.problems.append(.init(kind: .manifestMissing, message: "no manifest \((manifestPath as NSString).lastPathComponent): the backup never completed"))
            }
        }
        if !result.hasManifest && result.problems.isEmpty {
            result.note = "no manifest vouches for this file: only the compressed stream's integrity and the dump trailer were checked"
        }
        return manifest
    }

    /// The codec the archive is read in: the manifest's; without a manifest, the name's
    /// (`.sql.gz`, `.sql.zst`, `.sql.lz4`); with neither (`pra restore --file dump`), the codec
    /// its first bytes give, gzip when they give none. The stream must then open with that
    /// codec's magic number (``CheckedDecompressor``).
    public static func readingCodec(archivePath: String, manifest: BackupManifest?) -> CompressionCodec {
        manifest?.codec ?? CompressionCodec.named(by: archivePath) ?? openingCodec(archivePath) ?? .gzip
    }

    /// ``readingCodec(archivePath:manifest:)``; a file name whose codec disagrees with the
    /// manifest's is a problem.
    static func codec(of archivePath: String, manifest: BackupManifest?, into result: inout VerificationResult) -> CompressionCodec {
        if let manifest, let named = CompressionCodec.named(by: archivePath), named != manifest.codec {
            result.problems.append(.codecDisagreement(recorded: manifest.codec, named: named, fileName: (archivePath as NSString).lastPathComponent))
        }
        return readingCodec(archivePath: archivePath, manifest: manifest)
    }

    /// The codec whose magic number opens the file at `path`, if any.
    static func openingCodec(_ path: String) -> CompressionCodec? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: LZ4StreamMarker.startLength)).flatMap { CompressionCodec.detect($0) }
    }

    /// What reading the archive through gave, besides the reader's size and hash.
    struct StreamOutcome {
        /// The first psql meta-command, which nothing after reached the sink.
        var violation: DumpScanner.Violation?
        var readBytes: UInt64
        /// The end of the dump, where pg_dump's completion trailer is.
        var tail: String
    }

    /// Inflates the whole archive, scanning it for psql meta-commands and handing each piece
    /// to `sink` (without pg_dump's `\restrict` lines when `forPsql`); damage is recorded in
    /// `result`. Throws only what `sink` throws; reading stops there.
    func inflate(_ reader: HashingFileReader, archivePath: String, codec: CompressionCodec, restrictKey: String?, progress: ProgressReporter?, forPsql: Bool, into result: inout VerificationResult, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> StreamOutcome {
        let totalSize = (try? FileManager.default.attributesOfItem(atPath: archivePath)[.size] as? UInt64) ?? nil
        var tail = TailBuffer(capacity: 512)
        var readBytes: UInt64 = 0
        // psql meta-commands are refused before psql (the sink) could see them.
        var scanner = DumpScanner(expectedKey: restrictKey)
        // Set at the first meta-command: nothing from there on reaches the sink, but the rest
        // of the archive is still read, so that damage (checksum, size, gzip) is reported too.
        var violation: DumpScanner.Violation?
        do {
            let inflater = try CheckedDecompressor(codec: codec)
            while let chunk = try reader.next() {
                readBytes += UInt64(chunk.count)
                try chunk.withUnsafeBytes { buffer in
                    try inflater.decompress(buffer) { piece in
                        if violation != nil { return }
                        var metaLines: [Range<Int>] = []
                        do {
                            try scanner.scan(piece, metaLine: { metaLines.append($0) })
                        } catch let found as DumpScanner.Violation {
                            violation = found
                            return
                        }
                        tail.append(piece)
                        do {
                            if metaLines.isEmpty || !forPsql {
                                try sink(piece)
                            } else {
                                // pg_dump's \restrict/\unrestrict lines never reach psql: a
                                // restore gives psql its own key (PsqlRestriction).
                                try Self.withoutRanges(piece, metaLines) { try sink($0) }
                            }
                        } catch {
                            throw SinkFailure(underlying: error)
                        }
                    }
                }
                progress?.update(phase: phase, bytes: readBytes, total: totalSize)
            }
            try inflater.finish()
            result.uncompressedBytes = inflater.bytesOut
            if violation == nil {
                do {
                    try scanner.finish()
                } catch let found {
                    violation = found
                }
            }
        } catch let failure as SinkFailure {
            progress?.finish()
            throw failure.underlying
        } catch let error as CodecError {
            result.problems.append(.init(codec: error, file: archivePath))
            // The rest is still read and hashed: the size and checksum then describe the whole file.
            while (try? reader.next()) != nil {}
        } catch let error as FileError {
            result.problems.append(.init(kind: .unreadable, message: "cannot read \(archivePath): \(String(cString: strerror(error.code)))"))
        } catch {
            result.problems.append(.init(kind: .unreadable, message: "cannot read \(archivePath): \(error.localizedDescription)"))
        }
        progress?.finish()
        if let violation {
            result.problems.insert(.init(kind: .metaCommand, message: "\((archivePath as NSString).lastPathComponent) \(violation.description)"), at: 0)
        }
        return StreamOutcome(violation: violation, readBytes: readBytes, tail: tail.text)
    }

    /// Judges what was read against the trailer and the manifest: size, SHA-256, uncompressed size.
    static func judge(_ result: inout VerificationResult, stream: StreamOutcome, read: (bytes: UInt64, sha256: String), manifest: BackupManifest?) {
        let readBytes = max(stream.readBytes, read.bytes)
        result.compressedBytes = readBytes
        result.sha256 = read.sha256
        result.trailerFound = stream.tail.contains(Self.dumpTrailer)
        let streamIntact = !result.problems.contains { [.corruptData, .truncated, .trailingGarbage, .unreadable, .metaCommand].contains($0.kind) }
        if streamIntact && !result.trailerFound {
            result.problems.append(.init(kind: .trailerMissing, message: "the dump has no completion trailer (\"\(Self.dumpTrailer)\"): pg_dump did not finish"))
        }
        guard let manifest else { return }
        if readBytes != manifest.compressedBytes {
            result.problems.append(Self.sizeProblem(actual: readBytes, expected: manifest.compressedBytes))
        }
        if result.sha256 != manifest.sha256 {
            result.problems.append(.init(kind: .checksumMismatch, message: "SHA-256 \(result.sha256.prefix(16))… does not match the manifest's \(manifest.sha256.prefix(16))…"))
        }
        if streamIntact, let raw = result.uncompressedBytes, raw != manifest.uncompressedBytes {
            result.problems.append(.init(kind: .sizeMismatch, message: "dump is \(raw) bytes uncompressed, manifest says \(manifest.uncompressedBytes)"))
        }
        result.database = manifest.database
        result.backupFinishedAt = manifest.finishedAt
    }
}

/// Keeps the last `capacity` bytes of a stream.
struct TailBuffer {
    let capacity: Int
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        self.capacity = capacity
        bytes.reserveCapacity(capacity * 2)
    }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        if chunk.count >= capacity {
            bytes = Array(chunk.suffix(capacity))
        } else {
            bytes.append(contentsOf: chunk)
            if bytes.count > capacity { bytes.removeFirst(bytes.count - capacity) }
        }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}
