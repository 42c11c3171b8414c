/// Reads a file whose name (or manifest) says it is in `codec`: the stream must open with that
/// codec's magic number (``CompressionCodec/detect(_:)``) before a byte is decompressed, so a
/// `.zst` that holds gzip, or anything else under a codec's name, is refused as such rather
/// than fed to the wrong decoder. Every failure of the stream is a ``CodecError`` (gzip's own
/// errors included); errors of `sink` pass through unchanged.
public final class CheckedDecompressor {
    public let codec: CompressionCodec
    private let inner: any StreamDecompressor
    /// The first bytes, held until there are enough to check the magic number.
    private var opening: [UInt8] = []
    private var checked = false
    /// Compressed bytes consumed so far.
    public private(set) var bytesIn: UInt64 = 0
    /// Decompressed bytes produced so far.
    public private(set) var bytesOut: UInt64 = 0

    public init(codec: CompressionCodec) throws(CodecError) {
        self.codec = codec
        inner = try codec.decompressor()
    }

    /// Decompresses `input`, calling `sink` with each decompressed chunk.
    public func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !checked else { return try feed(input, sink: sink) }
        opening += input
        // pra's lz4 start marker needs 16 bytes to be told from another skippable frame.
        let needed = LZ4StreamMarker.magicBytes.starts(with: opening.prefix(4)) ? LZ4StreamMarker.startLength : 4
        guard opening.count >= needed else { return }
        try check()
        let held = opening
        opening = []
        try held.withUnsafeBytes { try feed($0, sink: sink) }
    }

    /// Checks that the stream ended where the input did (a truncated stream throws).
    public func finish() throws(CodecError) {
        if !checked { try check() }
        do {
            try inner.finish()
        } catch {
            throw mapped(error)
        }
    }

    private func check() throws(CodecError) {
        checked = true
        let found = CompressionCodec.detect(opening)
        guard found != codec else { return }
        if codec == .lz4, !opening.isEmpty, LZ4StreamMarker.start.bytes.starts(with: opening) {
            // The file ends inside the start marker: an lz4 stream cut short, not another format.
            throw CodecError(codec: .lz4, kind: .truncated, detail: nil, compressedOffset: UInt64(opening.count))
        }
        let holds = found.map { "holds \($0.rawValue) data" } ?? "does not open with any known compression format's magic number"
        throw CodecError(codec: codec, kind: .wrongFormat, detail: "named as \(codec.rawValue) (\(codec.fileExtension)) but \(holds)", compressedOffset: 0)
    }

    private func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var produced: UInt64 = 0
        do {
            try inner.decompress(input) { chunk in
                produced += UInt64(chunk.count)
                try sink(chunk)
            }
        } catch let error as GzipError {
            throw mapped(error)
        }
        bytesIn += UInt64(input.count)
        bytesOut += produced
    }

    private func mapped(_ error: any Error) -> CodecError {
        if let error = error as? CodecError { return error }
        guard let error = error as? GzipError else {
            return CodecError(codec: codec, kind: .internalError, detail: "\(error)", compressedOffset: bytesIn)
        }
        let kind: CodecError.Kind
        switch error.kind {
        case .truncated: kind = .truncated
        case .trailingGarbage: kind = .trailingGarbage
        case .initialisationFailed: kind = .initialisationFailed
        case .internalError: kind = .internalError
        case .corruptData, .notGzip: kind = .corruptData
        }
        return CodecError(codec: .gzip, kind: kind, detail: error.zlibMessage, compressedOffset: error.compressedOffset)
    }
}
