import CLZ4

/// Streaming lz4 frame compressor (1 MiB blocks, content checksum on), the format `lz4 -d`
/// reads. Owns one `LZ4F_cctx`, freed in `deinit`. Input is taken in slices so the output buffer
/// stays bounded whatever the caller hands in.
public final class LZ4FrameCompressor: StreamCompressor {
    private static let slice = 256 * 1024
    private let context: OpaquePointer
    private var preferences = LZ4F_preferences_t()
    private var output: [UInt8]
    private var started = false
    private var finished = false
    public private(set) var bytesIn: UInt64 = 0
    public private(set) var bytesOut: UInt64 = 0

    public init(level: Int) throws(CodecError) {
        var context: OpaquePointer?
        let status = LZ4F_createCompressionContext(&context, pra_lz4f_version())
        guard LZ4F_isError(status) == 0, let context else {
            throw CodecError(codec: .lz4, kind: .initialisationFailed, detail: String(cString: LZ4F_getErrorName(status)), compressedOffset: 0)
        }
        self.context = context
        preferences.compressionLevel = Int32(level)
        preferences.frameInfo.blockSizeID = LZ4F_max1MB
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        // The bound of one slice covers the header, a flushed block and the end mark.
        let bound = max(LZ4F_compressBound(Self.slice, &preferences), Int(LZ4F_HEADER_SIZE_MAX))
        output = [UInt8](repeating: 0, count: bound + Int(LZ4F_HEADER_SIZE_MAX))
    }

    deinit { LZ4F_freeCompressionContext(context) }

    public func compress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !input.isEmpty else { return }
        precondition(!finished, "compress after finish")
        try begin(sink: sink)
        var offset = 0
        while offset < input.count {
            let count = min(Self.slice, input.count - offset)
            try emit(sink: sink) { buffer, capacity in
                LZ4F_compressUpdate(context, buffer, capacity, input.baseAddress! + offset, count, nil)
            }
            offset += count
        }
        bytesIn += UInt64(input.count)
    }

    public func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { return }
        try begin(sink: sink)
        try emit(sink: sink) { buffer, capacity in LZ4F_compressEnd(context, buffer, capacity, nil) }
        finished = true
    }

    private func begin(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !started else { return }
        started = true
        try emit(sink: sink) { buffer, capacity in LZ4F_compressBegin(context, buffer, capacity, &preferences) }
    }

    /// Runs one LZ4F call into the output buffer and hands what it wrote to `sink`.
    private func emit(sink: (UnsafeRawBufferPointer) throws -> Void, _ call: (UnsafeMutableRawPointer, Int) -> Int) throws {
        let capacity = output.count
        try output.withUnsafeMutableBytes { buffer in
            let written = call(buffer.baseAddress!, capacity)
            if LZ4F_isError(written) != 0 {
                throw CodecError(codec: .lz4, kind: .internalError, detail: String(cString: LZ4F_getErrorName(written)), compressedOffset: bytesOut)
            }
            if written > 0 {
                try sink(UnsafeRawBufferPointer(start: buffer.baseAddress, count: written))
                bytesOut += UInt64(written)
            }
        }
    }
}

/// Streaming lz4 frame decompressor: checks the content checksum, accepts concatenated frames
/// as `lz4 -d` does, and refuses a stream that stops inside a frame.
public final class LZ4FrameDecompressor: StreamDecompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    private var consumed: UInt64 = 0
    /// LZ4F's hint after the last call: 0 exactly when the input ended on a frame boundary.
    private var pending = 1

    public init(chunkSize: Int = 1 << 20) throws(CodecError) {
        var context: OpaquePointer?
        let status = LZ4F_createDecompressionContext(&context, pra_lz4f_version())
        guard LZ4F_isError(status) == 0, let context else {
            throw CodecError(codec: .lz4, kind: .initialisationFailed, detail: String(cString: LZ4F_getErrorName(status)), compressedOffset: 0)
        }
        self.context = context
        output = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    public func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !input.isEmpty else { return }
        let capacity = output.count
        try output.withUnsafeMutableBytes { buffer in
            var offset = 0
            var full = false
            while offset < input.count || full {
                var produced = capacity
                var taken = input.count - offset
                let hint = LZ4F_decompress(context, buffer.baseAddress, &produced, input.baseAddress! + offset, &taken, nil)
                if LZ4F_isError(hint) != 0 {
                    throw CodecError(codec: .lz4, kind: .corruptData, detail: String(cString: LZ4F_getErrorName(hint)), compressedOffset: consumed + UInt64(offset))
                }
                offset += taken
                // A call that took nothing and gave nothing only asked for the next frame's
                // header: the one before it said whether the stream ended on a frame boundary.
                if produced > 0 || taken > 0 { pending = hint }
                if produced > 0 { try sink(UnsafeRawBufferPointer(start: buffer.baseAddress, count: produced)) }
                full = produced == capacity
            }
        }
        consumed += UInt64(input.count)
    }

    public func finish() throws {
        if pending != 0 {
            throw CodecError(codec: .lz4, kind: .truncated, detail: nil, compressedOffset: consumed)
        }
    }
}
