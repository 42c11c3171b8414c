import Foundation

/// The compression formats pra writes and reads: gzip (the default everywhere, readable by
/// stock `gunzip`), zstd and lz4 (faster, for base backups and WAL: readable by stock
/// `zstd -d` and `lz4 -d`). Every format is a self-describing stream with its own checksum of
/// the content (gzip's CRC-32, zstd's and lz4's content checksums are switched on; parallel
/// lz4 is a run of lz4 frames, each with its checksum, between pra's markers).
public enum CompressionCodec: String, CaseIterable, Sendable, Codable {
    case gzip
    case zstd
    case lz4

    /// The file-name suffix of a file in this format.
    public var fileExtension: String {
        switch self {
        case .gzip: return ".gz"
        case .zstd: return ".zst"
        case .lz4: return ".lz4"
        }
    }

    /// The levels each codec accepts (lz4's levels above 2 are its slower "HC" mode).
    public var levels: ClosedRange<Int> {
        switch self {
        case .gzip: return 1...9
        case .zstd: return 1...19
        case .lz4: return 1...12
        }
    }

    /// The level used when none is configured: gzip's own default, zstd's, and lz4's fast mode.
    public var defaultLevel: Int {
        switch self {
        case .gzip: return 6
        case .zstd: return 3
        case .lz4: return 1
        }
    }

    /// The stock command that reads a file in this format, for documentation and error messages.
    public var stockDecompressCommand: String {
        switch self {
        case .gzip: return "gunzip -c"
        case .zstd: return "zstd -d -c"
        case .lz4: return "lz4 -d -c"
        }
    }

    /// The codec whose magic number opens `prefix` (at least 4 bytes; 16 when it opens with
    /// pra's lz4 start marker, ``LZ4StreamMarker``), or `nil`.
    public static func detect(_ prefix: some Collection<UInt8>) -> CompressionCodec? {
        let bytes = Array(prefix.prefix(4))
        guard bytes.count >= 2 else { return nil }
        if bytes[0] == 0x1F && bytes[1] == 0x8B { return .gzip }
        guard bytes.count == 4 else { return nil }
        if bytes == [0x28, 0xB5, 0x2F, 0xFD] { return .zstd }
        if bytes == [0x04, 0x22, 0x4D, 0x18] { return .lz4 }
        // pra's parallel lz4 opens with its start marker, an lz4 skippable frame (16 bytes).
        if LZ4StreamMarker.opensStream(prefix) { return .lz4 }
        return nil
    }

    /// A compressor at `level` (checked against ``levels``) writing one stream; `threads` > 1
    /// lets zstd compress on that many worker threads (the parallel gzip and lz4 writers come
    /// from ``archiveCompressor(level:jobs:)``).
    public func compressor(level: Int, threads: Int = 1) throws(CodecError) -> any StreamCompressor {
        guard levels.contains(level) else {
            throw CodecError(codec: self, kind: .initialisationFailed, detail: "level \(level) is outside \(levels.lowerBound)...\(levels.upperBound)", compressedOffset: 0)
        }
        switch self {
        case .gzip:
            do { return try GzipDeflater(level: Int32(level)) } catch { throw CodecError(codec: .gzip, kind: .initialisationFailed, detail: error.description, compressedOffset: 0) }
        case .zstd: return try ZstdCompressor(level: level, threads: threads)
        case .lz4: return try LZ4FrameCompressor(level: level)
        }
    }

    /// The compressor of an archive written on `jobs` threads where the codec allows: gzip's
    /// parallel block writer (``ParallelGzipDeflater``, one gzip member), zstd's worker threads,
    /// lz4 frames compressed on `jobs` threads (``ParallelLZ4Compressor``) when `jobs` > 1, one
    /// stream (``LZ4FrameCompressor``) on one.
    public func archiveCompressor(level: Int, jobs: Int) throws(CodecError) -> any StreamCompressor {
        switch self {
        case .zstd:
            return try compressor(level: level, threads: jobs)
        case .lz4:
            guard jobs > 1 else { return try compressor(level: level) }
            return try ParallelLZ4Compressor(level: level, jobs: jobs)
        case .gzip:
            guard levels.contains(level) else {
                throw CodecError(codec: self, kind: .initialisationFailed, detail: "level \(level) is outside \(levels.lowerBound)...\(levels.upperBound)", compressedOffset: 0)
            }
            do {
                return try ParallelGzipDeflater(level: Int32(level), jobs: max(1, jobs))
            } catch {
                throw CodecError(codec: .gzip, kind: .initialisationFailed, detail: error.description, compressedOffset: 0)
            }
        }
    }

    /// The codec whose file-name suffix ends `fileName` (`.gz`, `.zst`, `.lz4`), or `nil`.
    public static func named(by fileName: String) -> CompressionCodec? {
        allCases.first { fileName.hasSuffix($0.fileExtension) }
    }

    /// A decompressor that checks the stream's own checksum and refuses a truncated stream.
    public func decompressor() throws(CodecError) -> any StreamDecompressor {
        switch self {
        case .gzip:
            do { return try GzipInflater() } catch { throw CodecError(codec: .gzip, kind: .initialisationFailed, detail: error.description, compressedOffset: 0) }
        case .zstd: return try ZstdDecompressor()
        case .lz4: return try LZ4FrameDecompressor()
        }
    }
}

/// A streaming compressor: input in, compressed chunks handed to `sink`, never accumulated.
public protocol StreamCompressor: AnyObject {
    /// Compresses `input`, calling `sink` with each compressed chunk.
    func compress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Ends the stream (flushes, writes the trailer and checksum).
    func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Uncompressed bytes consumed so far.
    var bytesIn: UInt64 { get }
    /// Compressed bytes produced so far.
    var bytesOut: UInt64 { get }
}

/// A streaming decompressor that verifies as it goes.
public protocol StreamDecompressor: AnyObject {
    /// Decompresses `input`, calling `sink` with each decompressed chunk.
    func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Checks that the stream ended where the input did: a truncated stream throws.
    func finish() throws
}

extension GzipDeflater: StreamCompressor {}
extension ParallelGzipDeflater: StreamCompressor {}
extension GzipInflater: StreamDecompressor {}
