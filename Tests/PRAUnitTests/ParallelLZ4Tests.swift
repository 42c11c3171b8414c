import Foundation
import Testing

@testable import PRACore

/// The parallel lz4 writer: blocks compressed on workers into lz4 frames, written in order
/// between pra's start and end markers. Read back by pra's decompressor and by stock `lz4 -d`;
/// a cut between frames, a missing frame or a damaged byte anywhere is an error.
@Suite("parallel lz4 compression")
struct ParallelLZ4Tests {
    static let block = 64 * 1024

    static func sample(_ size: Int, seed: UInt64 = 17) -> [UInt8] { codecSample(size, seed: seed) }

    /// The compressed stream and the size of each piece the sink got (start marker, one frame
    /// per block, end marker: the sink is called once for each).
    static func compress(_ data: [UInt8], jobs: Int = 2, blockSize: Int = block, chunk: Int = 10_007) throws -> (bytes: [UInt8], pieces: [Int], compressor: ParallelLZ4Compressor) {
        let compressor = try ParallelLZ4Compressor(level: 1, jobs: jobs, blockSize: blockSize)
        var output = [UInt8]()
        var pieces = [Int]()
        let sink: (UnsafeRawBufferPointer) throws -> Void = { output.append(contentsOf: $0); pieces.append($0.count) }
        var offset = 0
        while offset < data.count {
            let end = min(data.count, offset + chunk)
            try data[offset..<end].withUnsafeBytes { try compressor.compress($0, sink: sink) }
            offset = end
        }
        try compressor.finish(sink: sink)
        return (output, pieces, compressor)
    }

    /// pra's lz4 decompressor, fed `chunk` bytes at a time.
    static func decompress(_ data: [UInt8], chunk: Int = 65_536) throws -> [UInt8] {
        try codecDecompress(data, .lz4, chunk: chunk)
    }

    /// `lz4 -t FILE`: the stock tool's own test of the whole file.
    static func stockTest(_ input: [UInt8]) throws -> ExternalProcess.Outcome {
        let path = TestSupportPaths.temporary() + "/test.lz4"
        try Data(input).write(to: URL(fileURLWithPath: path))
        return try ExternalProcess(executable: "/usr/bin/lz4", arguments: ["-q", "-t", path], timeout: 60).run()
    }

    @Test("round trip through pra's decompressor, fed in odd chunks", arguments: [0, 1, 100, block - 1, block, block + 1, 2 * block, 37 * block + 17])
    func roundTrip(size: Int) throws {
        let original = Self.sample(size)
        let (compressed, pieces, compressor) = try Self.compress(original)
        #expect(compressor.bytesIn == UInt64(size))
        #expect(compressor.bytesOut == UInt64(compressed.count))
        #expect(CompressionCodec.detect(compressed) == .lz4)
        // The start marker, a frame per block (one empty frame for no input), the end marker.
        #expect(pieces.count == 2 + max(1, (size + Self.block - 1) / Self.block))
        #expect(try Self.decompress(compressed, chunk: 7_919) == original)
        #expect(try Self.decompress(compressed, chunk: 1) == original)
        // Through the reader every restore and verify uses, which checks the opening first.
        let checked = try CheckedDecompressor(codec: .lz4)
        var back = [UInt8]()
        for byte in compressed { try [byte].withUnsafeBytes { try checked.decompress($0) { back.append(contentsOf: $0) } } }
        try checked.finish()
        #expect(back == original)
    }

    @Test("stock lz4 -d -c reads it as one stream, byte for byte", arguments: [0, 1, block + 1, 37 * block + 17])
    func stockDecompress(size: Int) throws {
        let original = Self.sample(size, seed: 5)
        let compressed = try Self.compress(original).bytes
        #expect(try codecStockFilter(.lz4, compress: false, input: compressed) == original)
        let test = try Self.stockTest(compressed)
        #expect(test.exitCode == 0, "\(test.standardError)")
    }

    @Test("the default 1 MiB blocks: stock lz4 and pra read 9 MiB of it alike")
    func defaultBlocks() throws {
        let original = Self.sample(9 * 1024 * 1024 + 3, seed: 8)
        let compressed = try Self.compress(original, jobs: 2, blockSize: ParallelLZ4Compressor.defaultBlockSize, chunk: 1 << 18).bytes
        #expect(try Self.decompress(compressed) == original)
        #expect(try codecStockFilter(.lz4, compress: false, input: compressed) == original)
    }

    @Test("pra reads concatenated ordinary lz4 frames (two stock files joined), as lz4 -d does")
    func concatenatedStockFrames() throws {
        let first = Self.sample(300_000, seed: 1)
        let second = Self.sample(200_001, seed: 2)
        let a = try codecStockFilter(.lz4, compress: true, input: first)
        let b = try codecStockFilter(.lz4, compress: true, input: second)
        #expect(try Self.decompress(a + b, chunk: 4_099) == first + second)
        #expect(try Self.decompress(a + b, chunk: a.count) == first + second)
    }

    @Test("the output does not depend on the number of workers nor on how the input is fed")
    func deterministic() throws {
        let original = Self.sample(23 * Self.block + 321)
        let one = try Self.compress(original, jobs: 1).bytes
        #expect(try Self.compress(original, jobs: 4).bytes == one)
        #expect(try Self.compress(original, jobs: 3, chunk: 1).bytes == one)
        #expect(try Self.compress(original, jobs: 2, chunk: 1 << 20).bytes == one)
    }

    @Test("memory is bounded: never more than 2 × jobs blocks in flight")
    func bounded() throws {
        let original = Self.sample(64 * Self.block)
        for jobs in [1, 2, 3] {
            let compressor = try Self.compress(original, jobs: jobs, chunk: 3 * Self.block).compressor
            #expect(compressor.peakInFlight <= 2 * jobs)
            #expect(compressor.maxInFlight == 2 * jobs)
        }
    }

    @Test("a stream cut anywhere, on a frame boundary too, is refused as truncated")
    func cutOnFrameBoundaries() throws {
        let (compressed, pieces, _) = try Self.compress(Self.sample(6 * Self.block + 5))
        var boundaries = [Int]()
        var position = 0
        for piece in pieces.dropLast() {
            position += piece
            boundaries.append(position)
        }
        // Every cut between two pieces (after the start marker, after each frame, i.e. a
        // shorter stream of whole lz4 frames), and a few inside the pieces.
        for cut in boundaries + [1, 4, 15, 17, boundaries[2] + 9, compressed.count - 1] {
            do {
                _ = try Self.decompress(Array(compressed.prefix(cut)))
                Issue.record("cut at \(cut) of \(compressed.count) decompressed without an error")
            } catch let error as CodecError {
                #expect(error.codec == .lz4)
                #expect(error.kind == .truncated, "cut at \(cut): \(error)")
            }
        }
    }

    @Test("a missing frame or a marker with the wrong counts is corrupt data")
    func missingFrame() throws {
        let (compressed, pieces, _) = try Self.compress(Self.sample(5 * Self.block))
        let frameStart = pieces[0] + pieces[1]
        var without = compressed
        without.removeSubrange(frameStart..<frameStart + pieces[2])
        let error = #expect(throws: CodecError.self) { _ = try Self.decompress(without) }
        #expect(error?.kind == .corruptData)
        #expect(error?.description.contains("end marker") == true)
        // Two streams joined are read as one after the other; a second start marker before the
        // first stream's end is not.
        #expect(try Self.decompress(compressed + compressed) == Self.sample(5 * Self.block) + Self.sample(5 * Self.block))
        let nested = Array(compressed.dropLast(pieces.last!)) + compressed
        #expect(throws: CodecError.self) { _ = try Self.decompress(nested) }
    }

    @Test("frames swapped whole, each still valid with its own checksum, are caught by the end marker's CRC-32")
    func swappedFrames() throws {
        let original = Self.sample(4 * Self.block, seed: 21)
        let (compressed, pieces, _) = try Self.compress(original)
        let first = pieces[0]..<pieces[0] + pieces[1]
        let second = first.upperBound..<first.upperBound + pieces[2]
        let swapped = Array(compressed[..<first.lowerBound]) + Array(compressed[second]) + Array(compressed[first]) + Array(compressed[second.upperBound...])
        #expect(swapped.count == compressed.count && swapped != compressed)
        let error = #expect(throws: CodecError.self) { _ = try Self.decompress(swapped) }
        #expect(error?.kind == .corruptData)
        #expect(error?.description.contains("CRC-32") == true)
    }

    @Test("a damaged byte in any frame or marker is caught")
    func damage() throws {
        let (compressed, pieces, _) = try Self.compress(Self.sample(8 * Self.block + 99, seed: 3))
        var start = 0
        var caught = 0
        for piece in pieces {
            for position in [start, start + 5, start + piece / 2, start + piece - 1] {
                var damaged = compressed
                damaged[position] ^= 0x5A
                do {
                    _ = try Self.decompress(damaged)
                    Issue.record("a flipped byte at \(position) went unnoticed")
                } catch let error as CodecError {
                    #expect(error.codec == .lz4)
                    caught += 1
                }
            }
            start += piece
        }
        #expect(caught == 4 * pieces.count)
    }

    @Test("archives are written in parallel lz4 when jobs > 1, as one stream on one job")
    func archiveCompressorChoice() throws {
        #expect(try CompressionCodec.lz4.archiveCompressor(level: 1, jobs: 2) is ParallelLZ4Compressor)
        #expect(try CompressionCodec.lz4.archiveCompressor(level: 1, jobs: 1) is LZ4FrameCompressor)
        let error = #expect(throws: CodecError.self) { _ = try CompressionCodec.lz4.archiveCompressor(level: 13, jobs: 2) }
        #expect(error?.kind == .initialisationFailed)
    }

    @Test("the start marker is lz4 to the format check; a file cut inside it is truncated, under another name it is the wrong format")
    func markerDetection() throws {
        let compressed = try Self.compress(Self.sample(1000)).bytes
        #expect(CompressionCodec.detect(compressed.prefix(16)) == .lz4)
        #expect(CompressionCodec.detect(compressed.prefix(15)) == nil)
        // Another skippable frame with pra's magic is not taken for pra's marker.
        #expect(CompressionCodec.detect(LZ4StreamMarker.magicBytes + [8, 0, 0, 0] + Array("other-ab".utf8)) == nil)

        let cut = try CheckedDecompressor(codec: .lz4)
        try compressed.prefix(10).withUnsafeBytes { try cut.decompress($0) { _ in } }
        let truncated = #expect(throws: CodecError.self) { try cut.finish() }
        #expect(truncated?.kind == .truncated)

        let misnamed = try CheckedDecompressor(codec: .zstd)
        let wrong = #expect(throws: CodecError.self) {
            try compressed.withUnsafeBytes { try misnamed.decompress($0) { _ in } }
        }
        #expect(wrong?.kind == .wrongFormat)
        #expect(wrong?.description.contains("holds lz4 data") == true)
    }

    @Test("a failing sink stops the stream and the error reaches the caller")
    func sinkFailure() throws {
        struct Full: Error {}
        let compressor = try ParallelLZ4Compressor(level: 1, jobs: 2, blockSize: Self.block)
        let original = Self.sample(20 * Self.block)
        #expect(throws: Full.self) {
            try original.withUnsafeBytes { try compressor.compress($0) { _ in throw Full() } }
        }
    }
}
