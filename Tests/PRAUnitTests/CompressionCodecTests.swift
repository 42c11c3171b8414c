import Crypto
import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// The codecs base backups and WAL can be written with: gzip, zstd and lz4 through their C
// libraries. Each round-trips whatever the chunking, is readable by the stock tool (gunzip,
// zstd -d, lz4 -d) and reads the stock tool's output; a truncated or damaged stream is an
// error naming the codec and the byte, never silently short data.

/// Compressible and incompressible bytes: SQL-like text with random runs in it (for every codec test).
func codecSample(_ size: Int, seed: UInt64 = 42) -> [UInt8] {
    var state = seed
    var bytes = [UInt8]()
    bytes.reserveCapacity(size)
    let text = Array("INSERT INTO accounts VALUES (42, 'some text that repeats', 3.14);\n".utf8)
    while bytes.count < size {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        if state >> 60 < 11 {
            bytes.append(contentsOf: text.prefix(size - bytes.count))
        } else {
            for _ in 0..<min(64, size - bytes.count) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
        }
    }
    return bytes
}

private func compress(_ data: [UInt8], _ codec: CompressionCodec, level: Int? = nil, threads: Int = 1, chunk: Int = 65_536) throws -> [UInt8] {
    let compressor = try codec.compressor(level: level ?? codec.defaultLevel, threads: threads)
    var output = [UInt8]()
    var offset = 0
    while offset < data.count {
        let end = min(data.count, offset + chunk)
        try data[offset..<end].withUnsafeBytes { try compressor.compress($0) { output.append(contentsOf: $0) } }
        offset = end
    }
    try compressor.finish { output.append(contentsOf: $0) }
    #expect(compressor.bytesIn == UInt64(data.count))
    #expect(compressor.bytesOut == UInt64(output.count))
    return output
}

func codecDecompress(_ data: [UInt8], _ codec: CompressionCodec, chunk: Int = 65_536) throws -> [UInt8] {
    let decompressor = try codec.decompressor()
    var output = [UInt8]()
    var offset = 0
    while offset < data.count {
        let end = min(data.count, offset + chunk)
        try data[offset..<end].withUnsafeBytes { try decompressor.decompress($0) { output.append(contentsOf: $0) } }
        offset = end
    }
    try decompressor.finish()
    return output
}

private let stockTool: [CompressionCodec: (path: String, compress: [String], decompress: [String])] = [
    .gzip: ("/bin/gzip", ["-c", "-6"], ["-d", "-c"]),
    .zstd: ("/usr/bin/zstd", ["-q", "-c", "-3"], ["-q", "-d", "-c"]),
    .lz4: ("/usr/bin/lz4", ["-q", "-c", "-1"], ["-q", "-d", "-c"]),
]

/// Runs `tool arguments input > output` without a shell: the tool's stdout is captured.
func codecStockFilter(_ codec: CompressionCodec, compress: Bool, input: [UInt8]) throws -> [UInt8] {
    let tool = try #require(stockTool[codec])
    let directory = TestEnvironment.temporaryDirectory("codec-stock")
    let path = directory + "/input"
    try Data(input).write(to: URL(fileURLWithPath: path))
    let outcome = try ExternalProcess(executable: tool.path, arguments: (compress ? tool.compress : tool.decompress) + [path], timeout: 60).run()
    #expect(outcome.succeeded, "\(tool.path): \(outcome.standardError)")
    return [UInt8](outcome.standardOutput)
}

@Suite("CompressionCodec: gzip, zstd and lz4 streams")
struct CompressionCodecTests {
    @Test("round trip at sizes 0, 1 and 3 MiB, fed in odd chunks both ways", arguments: CompressionCodec.allCases)
    func roundTrip(codec: CompressionCodec) throws {
        for size in [0, 1, 3 * 1024 * 1024 + 17] {
            let data = codecSample(size)
            let compressed = try compress(data, codec, chunk: 100_003)
            #expect(CompressionCodec.detect(compressed) == codec)
            let back = try codecDecompress(compressed, codec, chunk: 7_919)
            #expect(back.count == data.count, "\(codec) size \(size)")
            #expect(SHA256.hash(data: back) == SHA256.hash(data: data), "\(codec) size \(size)")
        }
    }

    @Test("the stock tool reads pra's stream, and pra reads the stock tool's", arguments: CompressionCodec.allCases)
    func stockInterop(codec: CompressionCodec) throws {
        let data = codecSample(2 * 1024 * 1024 + 5, seed: 7)
        let ours = try compress(data, codec)
        #expect(try codecStockFilter(codec, compress: false, input: ours) == data, "\(codec.stockDecompressCommand) of pra's output")
        let theirs = try codecStockFilter(codec, compress: true, input: data)
        #expect(try codecDecompress(theirs, codec) == data, "pra reading \(codec)'s own output")
    }

    @Test("zstd on worker threads writes one ordinary frame the stock tool reads")
    func zstdThreads() throws {
        let data = codecSample(6 * 1024 * 1024, seed: 3)
        let threaded = try compress(data, .zstd, threads: 2)
        #expect(try codecDecompress(threaded, .zstd) == data)
        #expect(try codecStockFilter(.zstd, compress: false, input: threaded) == data)
    }

    @Test("output that ends exactly on the decompressor's buffer size is complete, not truncated", arguments: [CompressionCodec.zstd, .lz4])
    func outputOnBufferBoundary(codec: CompressionCodec) throws {
        // zstd's buffer is ZSTD_DStreamOutSize() (128 KiB), lz4's 1 MiB: 2 MiB fills both exactly,
        // so the last call returns a full buffer and the next one only asks for another frame.
        let data = codecSample(2 * 1024 * 1024, seed: 5)
        #expect(try codecDecompress(try compress(data, codec), codec) == data)
    }

    @Test("a stream cut anywhere is an error, never short data", arguments: [CompressionCodec.zstd, .lz4])
    func truncation(codec: CompressionCodec) throws {
        let compressed = try compress(codecSample(512 * 1024, seed: 9), codec)
        for cut in [1, 4, 11, compressed.count / 3, compressed.count / 2, compressed.count - 5, compressed.count - 1] {
            do {
                _ = try codecDecompress(Array(compressed.prefix(cut)), codec)
                Issue.record("\(codec) cut at \(cut) of \(compressed.count) decompressed without an error")
            } catch let error as CodecError {
                #expect(error.codec == codec)
                #expect([.truncated, .corruptData].contains(error.kind), "\(error)")
            }
        }
    }

    @Test("a damaged byte is caught by the codec's checks and named with its codec", arguments: [CompressionCodec.zstd, .lz4])
    func damage(codec: CompressionCodec) throws {
        let data = codecSample(256 * 1024, seed: 11)
        let compressed = try compress(data, codec)
        var caught = 0
        for position in stride(from: 20, to: compressed.count - 8, by: max(1, compressed.count / 25)) {
            var damaged = compressed
            damaged[position] ^= 0x5A
            do {
                _ = try codecDecompress(damaged, codec)
                Issue.record("\(codec): a flipped byte at \(position) went unnoticed")
            } catch let error as CodecError {
                #expect(error.codec == codec)
                #expect(error.description.contains(codec.rawValue))
                caught += 1
            }
        }
        #expect(caught >= 20)
    }

    @Test("magic numbers, levels and what each format is called")
    func declarations() throws {
        #expect(CompressionCodec.detect([0x1F, 0x8B, 0x08, 0x00]) == .gzip)
        #expect(CompressionCodec.detect([0x28, 0xB5, 0x2F, 0xFD]) == .zstd)
        #expect(CompressionCodec.detect([0x04, 0x22, 0x4D, 0x18]) == .lz4)
        #expect(CompressionCodec.detect(Array("-- PostgreSQL".utf8)) == nil)
        #expect(CompressionCodec.detect([0x28]) == nil)
        #expect(CompressionCodec.allCases.map(\.fileExtension) == [".gz", ".zst", ".lz4"])
        for codec in CompressionCodec.allCases {
            #expect(codec.levels.contains(codec.defaultLevel))
            let error = #expect(throws: CodecError.self) { _ = try codec.compressor(level: codec.levels.upperBound + 1) }
            #expect(error?.kind == .initialisationFailed)
            #expect(error?.description.contains("outside") == true)
        }
    }
}
