import CZlib

/// One raw-deflate (no header, no trailer) compressor used for one block at a time by a
/// worker of ``ParallelGzipDeflater``. Owns one heap-allocated `z_stream`, released in `deinit`.
final class RawDeflateStream {
    private let stream: UnsafeMutablePointer<z_stream>

    init(level: Int32) throws(GzipError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // Negative windowBits: raw deflate, so the blocks can be joined under one gzip header.
        guard pra_deflateInit2(stream, level, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw GzipError(kind: .initialisationFailed, zlibMessage: nil, compressedOffset: 0)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input` as a continuation of a stream whose previous 32 KiB were
    /// `dictionary`. A block that is not `last` ends on a byte boundary after a sync flush
    /// (the empty stored block `00 00 ff ff`) without the final-block bit, so that the next
    /// block's output can simply follow it; the `last` block ends the deflate stream.
    func compress(_ input: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer, last: Bool) throws(GzipError) -> [UInt8] {
        guard deflateReset(stream) == Z_OK else {
            throw GzipError(kind: .internalError, zlibMessage: GzipDeflater.message(stream), compressedOffset: 0)
        }
        if let base = dictionary.baseAddress, !dictionary.isEmpty {
            guard deflateSetDictionary(stream, base.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count)) == Z_OK else {
                throw GzipError(kind: .internalError, zlibMessage: GzipDeflater.message(stream), compressedOffset: 0)
            }
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        // deflateBound covers the data; the sync flush adds at most a few bytes.
        var capacity = Int(deflateBound(stream, uLong(input.count))) + 64
        var output = [UInt8]()
        var produced = 0
        let flush = last ? Z_FINISH : Z_SYNC_FLUSH
        while true {
            if output.count - produced < 64 {
                // An array of zeros, not `repeatElement`: unoptimized builds append that one
                // element at a time (seconds per MiB in the debug builds the tests use).
                output.append(contentsOf: [UInt8](repeating: 0, count: capacity - output.count))
                capacity *= 2
            }
            let room = output.count - produced
            let status = output.withUnsafeMutableBytes { buffer -> Int32 in
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                stream.pointee.avail_out = uInt(room)
                return deflate(stream, flush)
            }
            produced += room - Int(stream.pointee.avail_out)
            if status == Z_STREAM_ERROR {
                throw GzipError(kind: .internalError, zlibMessage: GzipDeflater.message(stream), compressedOffset: 0)
            }
            if last ? status == Z_STREAM_END : (stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0) {
                break
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}
