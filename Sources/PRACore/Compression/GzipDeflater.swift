import CZlib

/// Streaming gzip compressor. Owns one heap-allocated `z_stream`, released in `deinit`.
///
/// Feed input with ``compress(_:sink:)`` and close the stream with ``finish(sink:)``;
/// compressed bytes are handed to `sink` in chunks, never accumulated.
public final class GzipDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    private var finished = false

    /// - Parameter level: zlib level 1–9 (6 is gzip's default).
    public init(level: Int32 = 6, chunkSize: Int = 256 * 1024) throws(GzipError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: chunkSize)
        // windowBits 15 + 16 selects the gzip wrapper (header and CRC-32 trailer).
        let status = pra_deflateInit2(stream, level, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
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

    /// Total uncompressed bytes consumed so far.
    public var bytesIn: UInt64 { UInt64(stream.pointee.total_in) }
    /// Total compressed bytes produced so far.
    public var bytesOut: UInt64 { UInt64(stream.pointee.total_out) }

    /// Compresses `input`, calling `sink` for each full output chunk.
    public func compress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !input.isEmpty else { return }
        precondition(!finished, "compress after finish")
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
        stream.pointee.avail_in = uInt(input.count)
        try run(flush: Z_NO_FLUSH, sink: sink)
    }

    /// Flushes the remaining data and writes the gzip trailer.
    public func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { return }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(flush: Z_FINISH, sink: sink)
        finished = true
    }

    private func run(flush: Int32, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let capacity = output.count
        try output.withUnsafeMutableBytes { buffer in
            let base = buffer.bindMemory(to: Bytef.self).baseAddress!
            while true {
                stream.pointee.next_out = base
                stream.pointee.avail_out = uInt(capacity)
                let status = deflate(stream, flush)
                if status == Z_STREAM_ERROR {
                    throw GzipError(kind: .internalError, zlibMessage: Self.message(stream), compressedOffset: bytesOut)
                }
                let produced = capacity - Int(stream.pointee.avail_out)
                if produced > 0 {
                    try sink(UnsafeRawBufferPointer(start: base, count: produced))
                }
                if flush == Z_FINISH {
                    if status == Z_STREAM_END { return }
                } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 {
                    return
                }
            }
        }
    }

    static func message(_ stream: UnsafeMutablePointer<z_stream>) -> String? {
        stream.pointee.msg.map { String(cString: $0) }
    }
}
