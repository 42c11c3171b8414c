import CDeflateBlocks
import Foundation
import CLibdeflate

/// Compresses one block of a ``ParallelGzipDeflater`` stream at a time, for one worker.
/// Owns one libdeflate compressor, freed in `deinit`.
///
/// libdeflate compresses a whole buffer about twice as fast as zlib at the same level, with a
/// slightly smaller result (the akig dump at level 6: 7.0 s and 105.7 MB in 512 KiB blocks,
/// against zlib's 13.6 s and 108.9 MB as one stream), but it only writes complete deflate
/// streams. A block that is not the last is therefore rewritten into a continuable part by
/// `pra_deflate_make_continuable` (a walk over its codes, about a tenth of the compression
/// time): the final-block bit cleared and an empty stored block appended, as zlib's sync
/// flush ends a part. Blocks are independent (no shared dictionary), so any worker can
/// compress any block.
final class BlockDeflater {
    private let compressor: OpaquePointer
    private let decompressor: OpaquePointer
    /// Where a block is decompressed again to be compared with its input.
    private var decompressed: [UInt8] = []

    /// - Parameter level: 1–9, as gzip's levels (libdeflate's own go up to 12).
    init(level: Int32) throws(GzipError) {
        try Self.check(level: level)
        guard let compressor = libdeflate_alloc_compressor(level) else {
            throw GzipError(kind: .initialisationFailed, zlibMessage: nil, compressedOffset: 0)
        }
        guard let decompressor = libdeflate_alloc_decompressor() else {
            libdeflate_free_compressor(compressor)
            throw GzipError(kind: .initialisationFailed, zlibMessage: nil, compressedOffset: 0)
        }
        self.compressor = compressor
        self.decompressor = decompressor
    }

    /// Refuses a level outside 1–9, the levels gzip has.
    static func check(level: Int32) throws(GzipError) {
        guard (1...9).contains(level) else {
            throw GzipError(kind: .initialisationFailed, zlibMessage: "compression level \(level) is not 1-9", compressedOffset: 0)
        }
    }

    deinit {
        libdeflate_free_compressor(compressor)
        libdeflate_free_decompressor(decompressor)
    }

    /// Raw deflate data for `input`. A block that is not `last` ends on a byte boundary
    /// without the final-block bit, so the next block's output can simply follow it; the
    /// `last` block ends the deflate stream (an empty `last` block is one empty final block).
    ///
    /// Every block is decompressed again and compared with its input before it is returned
    /// (libdeflate inflates far faster than it deflates: about a tenth more CPU), so a
    /// fault in the compressor or in the joining fails the backup instead of writing an
    /// archive that only a later verify would refuse.
    func compress(_ input: UnsafeRawBufferPointer, last: Bool) throws(GzipError) -> [UInt8] {
        // The bound covers any input (stored blocks at worst); the continuation adds 5 bytes
        // and the check 2 more.
        let capacity = libdeflate_deflate_compress_bound(compressor, input.count) + 7
        var problem: String?
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            let written = libdeflate_deflate_compress(compressor, input.baseAddress, input.count, buffer.baseAddress, capacity - 7)
            count = last || written == 0 ? written : pra_deflate_make_continuable(buffer.baseAddress, written, capacity - 2)
            if count == 0 {
                problem = written == 0 ? "libdeflate could not compress a block of \(input.count) bytes" : "a compressed block could not be joined to the next"
                return
            }
            // A part that is not last gets an empty final block (03 00), past its end, for the check.
            var checked = count
            if !last {
                buffer[count] = 0x03
                buffer[count + 1] = 0x00
                checked += 2
            }
            if !decompresses(UnsafeRawBufferPointer(start: buffer.baseAddress, count: checked), to: input) {
                problem = "a compressed block of \(input.count) bytes did not decompress to its input"
            }
        }
        if let problem { throw GzipError(kind: .internalError, zlibMessage: problem, compressedOffset: 0) }
        return output
    }

    /// Whether the complete deflate stream `compressed`, all of it, decompresses to exactly
    /// `expected`.
    func decompresses(_ compressed: UnsafeRawBufferPointer, to expected: UnsafeRawBufferPointer) -> Bool {
        if decompressed.count < expected.count + 1 { decompressed = [UInt8](repeating: 0, count: expected.count + 1) }
        return decompressed.withUnsafeMutableBytes { scratch in
            var consumed = 0
            var produced = 0
            // One byte more room than expected, so longer output shows as a mismatch; and every
            // byte must be consumed: a final block before the end (a final bit left set when
            // the part was joined) would stop decompression early.
            let status = libdeflate_deflate_decompress_ex(decompressor, compressed.baseAddress, compressed.count,
                                                          scratch.baseAddress, expected.count + 1, &consumed, &produced)
            guard status == LIBDEFLATE_SUCCESS, consumed == compressed.count, produced == expected.count else { return false }
            return expected.isEmpty || memcmp(scratch.baseAddress!, expected.baseAddress!, expected.count) == 0
        }
    }
}
