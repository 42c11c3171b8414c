import CLZ4

/// Compresses one block of a ``ParallelLZ4Compressor`` stream at a time into a complete lz4
/// frame, for one worker thread. Owns one `LZ4F_cctx`, freed in `deinit`.
///
/// Each frame records its content size (the decoder checks it) and its content checksum, in
/// independent blocks: a frame never refers to another, so any worker can make any of them.
final class LZ4BlockCompressor {
    private let context: OpaquePointer
    private var preferences = LZ4F_preferences_t()
    /// Where each frame is made before it is copied out.
    private var scratch: [UInt8] = []

    /// - Parameters:
    ///   - level: lz4 level (1–12; above 2 is lz4's HC mode).
    ///   - blockSize: the largest input ``frame(of:)`` will get: picks the frame's block size.
    init(level: Int, blockSize: Int) throws(CodecError) {
        context = try Self.makeContext()
        preferences.compressionLevel = Int32(level)
        // The smallest lz4 block that holds a whole input block (a decoder allocates this much).
        switch blockSize {
        case ...(64 << 10): preferences.frameInfo.blockSizeID = LZ4F_max64KB
        case ...(256 << 10): preferences.frameInfo.blockSizeID = LZ4F_max256KB
        case ...(1 << 20): preferences.frameInfo.blockSizeID = LZ4F_max1MB
        default: preferences.frameInfo.blockSizeID = LZ4F_max4MB
        }
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
    }

    deinit { LZ4F_freeCompressionContext(context) }

    /// A new `LZ4F_cctx` (the caller frees it), or the library's reason why not.
    static func makeContext() throws(CodecError) -> OpaquePointer {
        var context: OpaquePointer?
        let status = LZ4F_createCompressionContext(&context, pra_lz4f_version())
        guard LZ4F_isError(status) == 0, let context else {
            throw CodecError(codec: .lz4, kind: .initialisationFailed, detail: String(cString: LZ4F_getErrorName(status)), compressedOffset: 0)
        }
        return context
    }

    /// One complete lz4 frame (header, blocks, end mark, content checksum) holding `input`.
    /// The frame is made in this worker's scratch buffer, reused for every block (a new
    /// buffer per block costs page faults), and copied out at its own size.
    func frame(of input: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] {
        preferences.frameInfo.contentSize = UInt64(input.count)
        let capacity = LZ4F_compressFrameBound(input.count, &preferences)
        if scratch.count < capacity { scratch = [UInt8](repeating: 0, count: capacity) }
        var status = 0
        let written = scratch.withUnsafeMutableBytes { buffer -> Int in
            let begun = LZ4F_compressBegin(context, buffer.baseAddress, capacity, &preferences)
            guard LZ4F_isError(begun) == 0 else { status = begun; return 0 }
            var count = begun
            if !input.isEmpty {
                let body = LZ4F_compressUpdate(context, buffer.baseAddress! + count, capacity - count, input.baseAddress, input.count, nil)
                guard LZ4F_isError(body) == 0 else { status = body; return 0 }
                count += body
            }
            let end = LZ4F_compressEnd(context, buffer.baseAddress! + count, capacity - count, nil)
            guard LZ4F_isError(end) == 0 else { status = end; return 0 }
            return count + end
        }
        if LZ4F_isError(status) != 0 {
            throw CodecError(codec: .lz4, kind: .internalError, detail: String(cString: LZ4F_getErrorName(status)), compressedOffset: 0)
        }
        return Array(scratch[0..<written])
    }
}
