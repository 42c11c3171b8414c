import Foundation
import Testing

@testable import PRACore

@Suite("parallel gzip compression")
struct ParallelGzipTests {
    static let block = 32 * 1024

    /// Dump-like text of exactly `count` bytes.
    static func sample(_ count: Int) -> Data {
        var data = GzipTests.sampleText(lines: count / 20 + 1)
        while data.count < count { data += data }
        return data.prefix(count)
    }

    static func compress(_ data: Data, jobs: Int = 2, blockSize: Int = block, chunk: Int = 10_000) throws -> (Data, ParallelGzipDeflater) {
        let deflater = try ParallelGzipDeflater(level: 6, jobs: jobs, blockSize: blockSize)
        var output = Data()
        var offset = data.startIndex
        while offset < data.endIndex {
            let end = min(offset + chunk, data.endIndex)
            try data[offset..<end].withUnsafeBytes { try deflater.compress($0) { output.append(contentsOf: $0) } }
            offset = end
        }
        try deflater.finish { output.append(contentsOf: $0) }
        return (output, deflater)
    }

    /// CRC-32 (IEEE, as gzip) computed bit by bit, independent of zlib.
    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func littleEndian(_ data: Data, at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[data.startIndex + offset + $1]) << (8 * UInt32($1)) }
    }

    @Test("round trip as ONE gzip member, CRC and ISIZE right", arguments: [0, 1, 100, block - 1, block, block + 1, 2 * block, 5 * block + 17, 300_000])
    func roundTrip(size: Int) throws {
        let original = Self.sample(size)
        let (compressed, deflater) = try Self.compress(original)
        #expect(deflater.bytesIn == UInt64(size))
        #expect(deflater.bytesOut == UInt64(compressed.count))
        #expect(Array(compressed.prefix(3)) == [0x1f, 0x8b, 0x08])
        #expect(Self.littleEndian(compressed, at: compressed.count - 8) == Self.crc32(original))
        #expect(Self.littleEndian(compressed, at: compressed.count - 4) == UInt32(truncatingIfNeeded: size))

        let inflater = try GzipInflater()
        var restored = Data()
        try compressed.withUnsafeBytes { try inflater.decompress($0) { restored.append(contentsOf: $0) } }
        try inflater.finish()
        #expect(inflater.membersCompleted == 1)
        #expect(restored == original)
    }

    @Test("gzip -t and gunzip accept it, byte for byte", arguments: [0, 1, block, 7 * block + 5])
    func stockGzip(size: Int) throws {
        let original = Self.sample(size)
        let directory = TestSupportPaths.temporary()
        let path = directory + "/parallel.gz"
        try Self.compress(original).0.write(to: URL(fileURLWithPath: path))
        let test = try ExternalProcess(executable: "/bin/gzip", arguments: ["-t", path]).run()
        #expect(test.exitCode == 0)
        let outcome = try ExternalProcess(executable: "/bin/gzip", arguments: ["-dc", path]).runChecked()
        #expect(outcome.standardOutput == original)
        // One member: gzip -l reads the size from the only trailer.
        let listing = try ExternalProcess(executable: "/bin/gzip", arguments: ["-lq", path]).runChecked()
        let fields = String(decoding: listing.standardOutput, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: true)
        #expect(fields.count >= 2 && fields[1] == "\(size)")
    }

    @Test("the output does not depend on the number of workers nor on how the input is fed")
    func deterministic() throws {
        let original = Self.sample(9 * Self.block + 123)
        let one = try Self.compress(original, jobs: 1).0
        #expect(try Self.compress(original, jobs: 4).0 == one)
        #expect(try Self.compress(original, jobs: 3, chunk: 1).0 == one)
        #expect(try Self.compress(original, jobs: 2, chunk: 1 << 20).0 == one)
    }

    @Test("independent 512 KiB blocks compress at least as well as zlib's one stream at the same level")
    func ratio() throws {
        let original = Self.sample(2_000_000)
        let parallel = try Self.compress(original, blockSize: ParallelGzipDeflater.defaultBlockSize).0
        let single = try GzipTests.compress(original)
        #expect(parallel.count <= single.count)
    }

    @Test("memory is bounded: never more than 2 × jobs blocks in flight")
    func bounded() throws {
        let original = Self.sample(64 * Self.block)
        for jobs in [1, 2, 3] {
            let (_, deflater) = try Self.compress(original, jobs: jobs, chunk: 3 * Self.block)
            #expect(deflater.peakInFlight <= 2 * jobs)
            #expect(deflater.maxInFlight == 2 * jobs)
        }
    }

    @Test("a level gzip does not have is refused at once, naming it", arguments: [Int32(0), 10])
    func badLevel(level: Int32) {
        #expect(throws: GzipError(kind: .initialisationFailed, zlibMessage: "compression level \(level) is not 1-9", compressedOffset: 0)) {
            try ParallelGzipDeflater(level: level, jobs: 2)
        }
    }

    @Test("a failing sink stops the stream and the error reaches the caller")
    func sinkFailure() throws {
        struct Full: Error {}
        let deflater = try ParallelGzipDeflater(level: 6, jobs: 2, blockSize: Self.block)
        let original = Self.sample(20 * Self.block)
        #expect(throws: Full.self) {
            try original.withUnsafeBytes { try deflater.compress($0) { _ in throw Full() } }
        }
    }
}
