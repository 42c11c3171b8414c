import CLZ4
import CLibdeflate

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
        context = try LZ4BlockCompressor.makeContext()
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

/// Streaming lz4 frame decompressor: checks each frame's content checksum (and content size
/// when the frame records it), accepts concatenated frames as `lz4 -d` does, and refuses a
/// stream that stops inside a frame. A stream opened by pra's start marker
/// (``LZ4StreamMarker``, written by ``ParallelLZ4Compressor``) must reach its end marker, and the
/// end marker's frame count, size and CRC-32 must be those read: so a parallel stream cut
/// between two frames, or missing a frame, or with frames swapped, is refused too.
public final class LZ4FrameDecompressor: StreamDecompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    /// Compressed bytes consumed so far.
    private var consumed: UInt64 = 0
    /// The opening bytes of the next frame, held until its magic number is known, and for
    /// pra's marker until the whole marker has arrived.
    private var held: [UInt8] = []
    /// Whether LZ4F is inside a frame (between its first byte and its checksum).
    private var inFrame = false
    /// Whether any frame began: an empty input is not an lz4 stream.
    private var begun = false
    /// Frames and uncompressed bytes since pra's start marker, until its end marker.
    private var open: (frames: UInt64, bytes: UInt64, crc: UInt32)?

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
        var offset = 0
        while offset < input.count {
            if inFrame {
                offset = try decodeFrame(input, from: offset, sink: sink)
                continue
            }
            // On a frame boundary. The usual case, a whole magic number that is not pra's
            // marker, goes to LZ4F as it is; otherwise the opening is held byte by byte.
            if held.isEmpty, input.count - offset >= 4,
               !LZ4StreamMarker.magicBytes.elementsEqual(input[offset..<offset + 4]) {
                inFrame = true
                begun = true
                continue
            }
            held.append(input[offset])
            offset += 1
            consumed += 1
            try advanceHeld(sink: sink)
        }
    }

    public func finish() throws {
        if !begun || inFrame || !held.isEmpty || open != nil {
            throw CodecError(codec: .lz4, kind: .truncated, detail: open.map { "no end marker after \($0.frames) frames" }, compressedOffset: consumed)
        }
    }

    /// Acts on the held opening of a frame once enough of it is there.
    private func advanceHeld(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if held.count == 4 && held != LZ4StreamMarker.magicBytes {
            // An ordinary lz4 (or other skippable) frame: LZ4F takes its opening.
            inFrame = true
            begun = true
            let opening = held
            held = []
            consumed -= UInt64(opening.count)
            _ = try opening.withUnsafeBytes { try decodeFrame($0, from: 0, sink: sink) }
        } else if held.count == 8 {
            guard LZ4StreamMarker.payloadSizes.contains(LZ4StreamMarker.payloadSize(ofHeader: held)) else {
                throw corrupt("pra's stream marker has an unknown size \(LZ4StreamMarker.payloadSize(ofHeader: held))", at: consumed - 4)
            }
        } else if held.count > 8 && held.count == 8 + LZ4StreamMarker.payloadSize(ofHeader: held) {
            guard let marker = LZ4StreamMarker(held) else {
                throw corrupt("pra's stream marker is damaged", at: consumed - UInt64(held.count))
            }
            held = []
            begun = true
            try accept(marker)
        }
    }

    private func accept(_ marker: LZ4StreamMarker) throws {
        switch marker {
        case .start:
            guard open == nil else {
                throw corrupt("a start marker inside a stream whose end marker has not come", at: consumed - UInt64(LZ4StreamMarker.startLength))
            }
            open = (0, 0, 0)
        case .end(let frames, let bytes, let crc):
            guard let read = open else {
                throw corrupt("an end marker without a start marker", at: consumed)
            }
            guard read.frames == frames, read.bytes == bytes else {
                throw corrupt("the end marker counts \(frames) frames and \(bytes) bytes, the stream held \(read.frames) and \(read.bytes)", at: consumed)
            }
            guard read.crc == crc else {
                throw corrupt("the end marker's CRC-32 of the content does not match the content (frames out of order?)", at: consumed)
            }
            open = nil
        }
    }

    /// Feeds `input` from `offset` to LZ4F until the frame ends or the input does; returns
    /// where it stopped.
    private func decodeFrame(_ input: UnsafeRawBufferPointer, from start: Int, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let capacity = output.count
        return try output.withUnsafeMutableBytes { buffer in
            var offset = start
            while true {
                var produced = capacity
                var taken = input.count - offset
                let hint = LZ4F_decompress(context, buffer.baseAddress, &produced, input.baseAddress.map { $0 + offset }, &taken, nil)
                if LZ4F_isError(hint) != 0 {
                    throw corrupt(String(cString: LZ4F_getErrorName(hint)), at: consumed)
                }
                offset += taken
                consumed += UInt64(taken)
                if produced > 0 {
                    try sink(UnsafeRawBufferPointer(start: buffer.baseAddress, count: produced))
                    if let read = open {
                        let crc = UInt32(truncatingIfNeeded: libdeflate_crc32(UInt32(read.crc), buffer.baseAddress, produced))
                        open = (read.frames, read.bytes + UInt64(produced), crc)
                    }
                }
                if hint == 0 {
                    // The frame ended (checksum checked, all of its output given).
                    inFrame = false
                    open?.frames += 1
                    return offset
                }
                // A full buffer may hold more output back; otherwise LZ4F wants more input.
                if produced < capacity && offset == input.count { return offset }
                if produced == 0 && taken == 0 {
                    throw CodecError(codec: .lz4, kind: .internalError, detail: "the lz4 decoder made no progress", compressedOffset: consumed)
                }
            }
        }
    }

    private func corrupt(_ detail: String, at offset: UInt64) -> CodecError {
        CodecError(codec: .lz4, kind: .corruptData, detail: detail, compressedOffset: offset)
    }
}
