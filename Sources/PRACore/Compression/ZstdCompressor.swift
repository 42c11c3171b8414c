import CZstd

/// Streaming zstd compressor (one frame, content checksum on). Owns one `ZSTD_CCtx`, freed in
/// `deinit`. With `threads` > 1 libzstd compresses on that many worker threads; the output is
/// still one ordinary frame that `zstd -d` reads.
public final class ZstdCompressor: StreamCompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    private var finished = false
    public private(set) var bytesIn: UInt64 = 0
    public private(set) var bytesOut: UInt64 = 0

    public init(level: Int, threads: Int = 1, chunkSize: Int = Int(ZSTD_CStreamOutSize())) throws(CodecError) {
        guard let context = ZSTD_createCCtx() else {
            throw CodecError(codec: .zstd, kind: .initialisationFailed, detail: "ZSTD_createCCtx returned nothing", compressedOffset: 0)
        }
        self.context = context
        output = [UInt8](repeating: 0, count: chunkSize)
        try set(ZSTD_c_compressionLevel, Int32(level))
        try set(ZSTD_c_checksumFlag, 1)
        if threads > 1 {
            // A libzstd built without threads refuses nbWorkers: it then compresses on this thread.
            if ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(threads))) == 0 {
                // libzstd's default job size at level 3 (several window sizes) held ~50 MiB of
                // buffers with two workers, past the 64 MiB RSS budget at 5 GB; 2 MiB jobs keep
                // both workers busy for a fraction of that.
                try set(ZSTD_c_jobSize, Int32(Self.threadedJobSize))
            }
        }
    }

    /// Input bytes each worker compresses at a time when `threads` > 1.
    static let threadedJobSize = 2 << 20

    deinit { ZSTD_freeCCtx(context) }

    private func set(_ parameter: ZSTD_cParameter, _ value: Int32) throws(CodecError) {
        let status = ZSTD_CCtx_setParameter(context, parameter, value)
        if ZSTD_isError(status) != 0 {
            throw CodecError(codec: .zstd, kind: .initialisationFailed, detail: String(cString: ZSTD_getErrorName(status)), compressedOffset: 0)
        }
    }

    public func compress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !input.isEmpty else { return }
        precondition(!finished, "compress after finish")
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        try run(&source, ZSTD_e_continue, sink: sink)
        bytesIn += UInt64(input.count)
    }

    public func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { return }
        var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        try run(&source, ZSTD_e_end, sink: sink)
        finished = true
    }

    /// Feeds `source` until it is consumed (`continue`) or the frame is closed (`end`).
    private func run(_ source: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let capacity = output.count
        try output.withUnsafeMutableBytes { buffer in
            while true {
                var target = ZSTD_outBuffer(dst: buffer.baseAddress, size: capacity, pos: 0)
                let remaining = ZSTD_compressStream2(context, &target, &source, directive)
                if ZSTD_isError(remaining) != 0 {
                    throw CodecError(codec: .zstd, kind: .internalError, detail: String(cString: ZSTD_getErrorName(remaining)), compressedOffset: bytesOut)
                }
                if target.pos > 0 {
                    try sink(UnsafeRawBufferPointer(start: buffer.baseAddress, count: target.pos))
                    bytesOut += UInt64(target.pos)
                }
                let done = directive == ZSTD_e_end ? remaining == 0 : source.pos == source.size
                if done { return }
            }
        }
    }
}

/// Streaming zstd decompressor: checks each frame's content checksum, accepts concatenated
/// frames as `zstd -d` does, and refuses a stream that stops inside a frame.
public final class ZstdDecompressor: StreamDecompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    private var consumed: UInt64 = 0
    /// libzstd's hint after the last call: 0 exactly when the input ended on a frame boundary.
    private var pending = 1

    public init(chunkSize: Int = Int(ZSTD_DStreamOutSize())) throws(CodecError) {
        guard let context = ZSTD_createDCtx() else {
            throw CodecError(codec: .zstd, kind: .initialisationFailed, detail: "ZSTD_createDCtx returned nothing", compressedOffset: 0)
        }
        self.context = context
        output = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { ZSTD_freeDCtx(context) }

    public func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !input.isEmpty else { return }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let capacity = output.count
        try output.withUnsafeMutableBytes { buffer in
            var full = false
            while source.pos < source.size || full {
                var target = ZSTD_outBuffer(dst: buffer.baseAddress, size: capacity, pos: 0)
                let before = source.pos
                let hint = ZSTD_decompressStream(context, &target, &source)
                if ZSTD_isError(hint) != 0 {
                    throw CodecError(codec: .zstd, kind: .corruptData, detail: String(cString: ZSTD_getErrorName(hint)), compressedOffset: consumed + UInt64(before))
                }
                // A call that took nothing and gave nothing only asked for the next frame's
                // header: the one before it said whether the stream ended on a frame boundary.
                if target.pos > 0 || source.pos > before { pending = hint }
                if target.pos > 0 { try sink(UnsafeRawBufferPointer(start: buffer.baseAddress, count: target.pos)) }
                full = target.pos == capacity
            }
        }
        consumed += UInt64(input.count)
    }

    public func finish() throws {
        if pending != 0 {
            throw CodecError(codec: .zstd, kind: .truncated, detail: nil, compressedOffset: consumed)
        }
    }
}
