import CZlib
import Foundation

/// Gzip compression on several threads, as pigz does it: the input is cut into fixed-size
/// blocks, each block is deflated by a worker with the previous block's last 32 KiB as its
/// dictionary (so the ratio is nearly that of one stream), and the blocks are joined, in
/// order, into ONE standard gzip member: one header, the deflate data, the CRC-32 of the whole
/// input (combined from the blocks' CRCs) and its size. `gunzip`, `gzip -t` and every
/// inflater read it as any other gzip file.
///
/// Same use as ``GzipDeflater``: ``compress(_:sink:)`` then ``finish(sink:)``; `sink` is
/// always called on the caller's thread, in stream order. Memory is bounded: at most
/// `2 × jobs` blocks are in flight; the caller waits for the oldest when that many are.
/// The output depends on the block size only, not on the number of workers.
public final class ParallelGzipDeflater {
    /// 512 KiB: each block restarts deflate (a reset, the 32 KiB dictionary, a flush), which at
    /// pigz's 128 KiB cost 7–10 % more CPU at level 6 on the akig dump (measured); with at most
    /// `2 × jobs` blocks in flight memory stays a few MiB.
    public static let defaultBlockSize = 512 * 1024
    /// Deflate's window: a block's dictionary is at most this much of the previous input.
    static let windowSize = 32 * 1024

    private let pool: DeflateWorkPool
    private let blockSize: Int
    let maxInFlight: Int
    private var block: [UInt8]
    private var filled = 0
    /// The input of the previous block (its last 32 KiB prime the next block).
    private var previous: [UInt8] = []
    private var inFlight: [DeflateBlock] = []
    /// The most blocks ever in flight at once (the memory bound, checked by the tests).
    private(set) var peakInFlight = 0
    private var headerWritten = false
    private var crc: uLong = crc32(0, nil, 0)
    private var finished = false
    /// Total uncompressed bytes consumed so far.
    public private(set) var bytesIn: UInt64 = 0
    /// Total compressed bytes handed to the sink so far.
    public private(set) var bytesOut: UInt64 = 0

    /// - Parameters:
    ///   - level: zlib level 1–9.
    ///   - jobs: worker threads (at least 1).
    ///   - blockSize: bytes per block (at least 32 KiB).
    public init(level: Int32 = 6, jobs: Int, blockSize: Int = ParallelGzipDeflater.defaultBlockSize) throws(GzipError) {
        precondition(blockSize >= Self.windowSize, "a block must hold a whole deflate window")
        // Fail here, not on a worker, when zlib cannot start at this level.
        _ = try RawDeflateStream(level: level)
        self.blockSize = blockSize
        maxInFlight = max(1, jobs) * 2
        block = Self.emptyBlock(blockSize)
        pool = DeflateWorkPool(jobs: max(1, jobs), level: level)
    }

    deinit {
        pool.stop()
    }

    private static func emptyBlock(_ size: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { _, count in count = size }
    }

    /// Takes `input`, handing compressed bytes to `sink` as blocks complete (in order).
    public func compress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard var source = input.baseAddress, !input.isEmpty else { return }
        precondition(!finished, "compress after finish")
        var remaining = input.count
        bytesIn += UInt64(remaining)
        while remaining > 0 {
            let taken = min(remaining, blockSize - filled)
            let offset = filled
            block.withUnsafeMutableBytes { buffer in
                (buffer.baseAddress! + offset).copyMemory(from: source, byteCount: taken)
            }
            filled += taken
            remaining -= taken
            source += taken
            if filled == blockSize {
                try submit(last: false, sink: sink)
            }
        }
    }

    /// Compresses what is left, then writes the gzip trailer.
    public func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { return }
        try submit(last: true, sink: sink)
        while !inFlight.isEmpty {
            try emitOldest(sink: sink)
        }
        var trailer = [UInt8]()
        trailer.reserveCapacity(8)
        for value in [UInt32(truncatingIfNeeded: crc), UInt32(truncatingIfNeeded: bytesIn)] {
            for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }
        try write(trailer, sink: sink)
        finished = true
    }

    private func submit(last: Bool, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if filled < blockSize { block.removeSubrange(filled...) }
        let job = DeflateBlock(input: block, dictionary: previous, last: last)
        previous = block
        block = last ? [] : Self.emptyBlock(blockSize)
        filled = 0
        pool.enqueue(job)
        inFlight.append(job)
        peakInFlight = max(peakInFlight, inFlight.count)
        // Write what is already done, then wait only when the bound is reached.
        while let oldest = inFlight.first, inFlight.count >= maxInFlight || pool.isDone(oldest) {
            try emitOldest(sink: sink)
        }
    }

    private func emitOldest(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let job = inFlight.removeFirst()
        pool.wait(for: job)
        if let error = job.error { throw error }
        if !headerWritten {
            // gzip header: magic, deflate, no flags, no time stamp, no extra flags, OS Unix.
            try write([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03], sink: sink)
            headerWritten = true
        }
        crc = crc32_combine(crc, job.crc, off_t(job.input.count))
        try write(job.output, sink: sink)
    }

    private func write(_ bytes: [UInt8], sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { try sink($0) }
        bytesOut += UInt64(bytes.count)
    }
}

/// One block of a ``ParallelGzipDeflater`` stream: input in, deflate output and CRC out.
/// Its mutable fields are written by one worker and read by the caller after
/// ``DeflateWorkPool/wait(for:)``, both under the pool's lock.
final class DeflateBlock: @unchecked Sendable {
    let input: [UInt8]
    /// The previous block's input (its last 32 KiB are the dictionary); empty for the first.
    let dictionary: [UInt8]
    let last: Bool
    var output: [UInt8] = []
    var crc: uLong = 0
    var error: GzipError?
    var done = false

    init(input: [UInt8], dictionary: [UInt8], last: Bool) {
        self.input = input
        self.dictionary = dictionary
        self.last = last
    }

    /// Deflates the block with `stream` (on a worker thread).
    func run(_ stream: RawDeflateStream?, initError: GzipError?) {
        guard let stream else {
            error = initError
            return
        }
        input.withUnsafeBytes { inputBytes in
            dictionary.withUnsafeBytes { dictionaryBytes in
                let window = UnsafeRawBufferPointer(rebasing: dictionaryBytes.suffix(ParallelGzipDeflater.windowSize))
                do throws(GzipError) {
                    output = try stream.compress(inputBytes, dictionary: window, last: last)
                } catch {
                    self.error = error
                }
                crc = crc32(0, inputBytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(inputBytes.count))
            }
        }
    }
}
