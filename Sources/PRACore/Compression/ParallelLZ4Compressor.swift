import CLibdeflate
import CZlib
import Foundation

/// lz4 compression on several threads: the input is cut into blocks (1 MiB), each block is
/// compressed by a worker into a complete lz4 frame of its own (``LZ4BlockCompressor``), and the
/// frames are written in order, between pra's start and end markers (``LZ4StreamMarker``).
/// Concatenated frames are standard lz4: `lz4 -d -c` reads the file as one stream, skipping the
/// markers; ``LZ4FrameDecompressor`` reads it too and also checks the end marker, so a file cut
/// between two frames is refused as truncated.
///
/// Why whole frames rather than one frame of independent blocks: one frame's content checksum
/// (xxHash32) cannot be combined from the blocks', so the caller's thread would have to hash
/// all of the input in order; a frame per block keeps a checksum per block, computed on the
/// worker, and every frame decodes with the stock library alone. The cost is 27 bytes a frame
/// (header with the content size, block size, end mark, checksum).
///
/// The end marker also holds the CRC-32 of the whole input, combined from the blocks' CRCs
/// (computed on the workers) as ``ParallelGzipDeflater`` does: frames swapped whole, which
/// every frame's own checksum would pass, do not.
///
/// Same use as ``LZ4FrameCompressor``: ``compress(_:sink:)`` then ``finish(sink:)``; `sink` is
/// always called on the caller's thread, in stream order. Memory is bounded as in
/// ``ParallelGzipDeflater`` (``BlockPipeline``: at most `2 × jobs` blocks in flight). The output
/// depends on the block size only, not on the number of workers or how the input is handed in.
public final class ParallelLZ4Compressor: StreamCompressor {
    /// 1 MiB: lz4 looks back 64 KiB only, so cutting there costs little (0.2 % larger than
    /// `lz4 -1`'s own 4 MiB blocks on 1.8 GB of pgbench relation files), and `2 × jobs` blocks
    /// in flight stay a few MiB.
    public static let defaultBlockSize = 1 << 20
    /// The smallest block size allowed (tests use small blocks to cross many boundaries).
    static let minimumBlockSize = 4 * 1024
    /// The largest: one lz4 block (4 MiB) per frame.
    static let maximumBlockSize = 4 << 20

    private let pipeline: BlockPipeline<LZ4FrameBlock>
    /// At most this many blocks in flight (`2 × jobs`).
    var maxInFlight: Int { pipeline.maxInFlight }
    /// The most blocks ever in flight at once.
    var peakInFlight: Int { pipeline.peakInFlight }
    private var started = false
    private var finished = false
    private var frames: UInt64 = 0
    private var crc: uLong = 0
    /// Uncompressed bytes consumed so far.
    public private(set) var bytesIn: UInt64 = 0
    /// Compressed bytes handed to the sink so far (markers included).
    public private(set) var bytesOut: UInt64 = 0

    /// - Parameters:
    ///   - level: lz4 level 1–12.
    ///   - jobs: worker threads (at least 1).
    ///   - blockSize: uncompressed bytes per frame (4 KiB to 4 MiB).
    public init(level: Int, jobs: Int, blockSize: Int = ParallelLZ4Compressor.defaultBlockSize) throws(CodecError) {
        precondition((Self.minimumBlockSize...Self.maximumBlockSize).contains(blockSize), "blocks of 4 KiB to 4 MiB")
        let levels = CompressionCodec.lz4.levels
        guard levels.contains(level) else {
            throw CodecError(codec: .lz4, kind: .initialisationFailed, detail: "level \(level) is outside \(levels.lowerBound)...\(levels.upperBound)", compressedOffset: 0)
        }
        pipeline = BlockPipeline(jobs: jobs, blockSize: blockSize, name: "pra-lz4", makeWorker: {
            do throws(CodecError) {
                return .success(try LZ4BlockCompressor(level: level, blockSize: blockSize))
            } catch {
                return .failure(error)
            }
        }, makeBlock: { input, _ in LZ4FrameBlock(input: input) })
    }

    public func compress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !input.isEmpty else { return }
        precondition(!finished, "compress after finish")
        bytesIn += UInt64(input.count)
        try pipeline.take(input) { try emit($0, sink: sink) }
    }

    /// Compresses what is left (an empty input still gets one empty frame), then writes the end
    /// marker.
    public func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { return }
        try pipeline.finish(submitEmptyLast: pipeline.submitted == 0) { try emit($0, sink: sink) }
        try write(LZ4StreamMarker.end(frames: frames, bytes: bytesIn, crc: UInt32(truncatingIfNeeded: crc)).bytes, sink: sink)
        finished = true
    }

    private func emit(_ block: LZ4FrameBlock, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let error = block.error {
            throw CodecError(codec: .lz4, kind: error.kind, detail: error.detail, compressedOffset: bytesOut)
        }
        if !started {
            try write(LZ4StreamMarker.start.bytes, sink: sink)
            started = true
        }
        try write(block.output, sink: sink)
        crc = crc32_combine(crc, block.crc, off_t(block.input.count))
        frames += 1
    }

    private func write(_ bytes: [UInt8], sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { try sink($0) }
        bytesOut += UInt64(bytes.count)
    }
}

/// One block of a ``ParallelLZ4Compressor`` stream: input in, one lz4 frame out. Its mutable
/// fields are written by one worker and read by the caller after ``BlockWorkPool/wait(for:)``,
/// both under the pool's lock.
final class LZ4FrameBlock: PoolBlock, @unchecked Sendable {
    /// The pipeline's buffer, valid until the block is emitted.
    let input: UnsafeRawBufferPointer
    var output: [UInt8] = []
    /// CRC-32 of the input.
    var crc: uLong = 0
    var error: CodecError?
    var done = false

    init(input: UnsafeRawBufferPointer) {
        self.input = input
    }

    /// Compresses the block with the worker's compressor (on a worker thread), or keeps the
    /// error that stopped the worker from making one.
    func run(on worker: Result<LZ4BlockCompressor, CodecError>) {
        switch worker {
        case .failure(let failure):
            error = failure
        case .success(let compressor):
            do throws(CodecError) {
                output = try compressor.frame(of: input)
            } catch {
                self.error = error
            }
            crc = uLong(libdeflate_crc32(0, input.baseAddress, input.count))
        }
    }
}
