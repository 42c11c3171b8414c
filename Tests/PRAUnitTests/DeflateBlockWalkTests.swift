import CDeflateBlocks
import Foundation
import Testing

@testable import PRACore

/// The block walker that lets libdeflate's complete streams be joined into one gzip member.
@Suite("deflate block walker")
struct DeflateBlockWalkTests {
    /// Deterministic pseudo-random bytes (incompressible: libdeflate stores them).
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// Text and noise in turns, so one part holds Huffman-coded and stored blocks.
    static func mixed(_ count: Int) -> [UInt8] {
        let text = [UInt8](ParallelGzipTests.sample(count))
        let random = noise(count, seed: 7)
        return (0..<count).map { ($0 / 70_000) % 2 == 0 ? text[$0] : random[$0] }
    }

    static func finalBlock(_ bytes: [UInt8]) -> (header: UInt64, end: UInt64)? {
        var header: UInt64 = 0
        var end: UInt64 = 0
        let status = bytes.withUnsafeBufferPointer { pra_deflate_find_final_block($0.baseAddress, $0.count, &header, &end) }
        return status == 0 ? (header, end) : nil
    }

    /// Cuts `input` into parts, deflates each with a ``BlockDeflater`` and joins them into one
    /// gzip member with the CRC computed independently of both libraries.
    static func joined(_ input: [UInt8], part: Int, level: Int32) throws -> Data {
        let deflater = try BlockDeflater(level: level)
        var member = Data([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03])
        var offset = 0
        repeat {
            let end = min(offset + part, input.count)
            let last = end == input.count
            try input[offset..<end].withUnsafeBytes { member.append(contentsOf: try deflater.compress($0, last: last)) }
            offset = end
        } while offset < input.count
        for value in [ParallelGzipTests.crc32(Data(input)), UInt32(truncatingIfNeeded: input.count)] {
            member.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) })
        }
        return member
    }

    @Test(
        "joined parts inflate to the input: Huffman-coded, stored and tiny parts, levels 1, 6 and 9",
        arguments: [
            ("text", 1), ("text", 6), ("text", 9), ("noise", 6), ("mixed", 1), ("mixed", 6), ("mixed", 9), ("tiny", 6),
        ])
    func joinedPartsRoundTrip(kind: String, level: Int32) throws {
        let input: [UInt8]
        switch kind {
        case "text": input = [UInt8](ParallelGzipTests.sample(600_000))
        case "noise": input = Self.noise(300_000, seed: 3)
        case "mixed": input = Self.mixed(500_000)
        default: input = Array("a;b\n".utf8)
        }
        for part in [1, 3, 1000, 65_536, 200_000] where input.count / part < 2_000 {
            let member = try Self.joined(input, part: part, level: level)
            let inflater = try GzipInflater()
            var restored = [UInt8]()
            try member.withUnsafeBytes { try inflater.decompress($0) { restored.append(contentsOf: $0) } }
            try inflater.finish()
            #expect(inflater.membersCompleted == 1, "\(kind), parts of \(part)")
            #expect(restored == input, "\(kind) at level \(level), parts of \(part)")
        }
    }

    @Test("hand-made stored and fixed-code blocks: the final one and its end, to the bit")
    func handMadeBlocks() {
        // A final stored block of "abc": header bits 0-2, LEN/NLEN, three bytes.
        let stored: [UInt8] = [0x01, 0x03, 0x00, 0xfc, 0xff, 0x61, 0x62, 0x63]
        #expect(Self.finalBlock(stored)?.header == 0)
        #expect(Self.finalBlock(stored)?.end == 64)
        // An empty final fixed-code block: 3 header bits and the 7-bit end-of-block code.
        #expect(Self.finalBlock([0x03, 0x00])?.end == 10)
        // An empty stored block (not final) before it: the final header starts at bit 40.
        let two: [UInt8] = [0x00, 0x00, 0x00, 0xff, 0xff, 0x03, 0x00]
        #expect(Self.finalBlock(two)?.header == 40)
        #expect(Self.finalBlock(two)?.end == 50)
        // Block type 3 is reserved; a LEN without its complement is not a stored block.
        #expect(Self.finalBlock([0x07, 0x00]) == nil)
        #expect(Self.finalBlock([0x01, 0x03, 0x00, 0xfc, 0xfe, 0x61, 0x62, 0x63]) == nil)
    }

    @Test("a truncated stream, or one with bytes after its end, is refused")
    func truncated() throws {
        let input = [UInt8](ParallelGzipTests.sample(40_000))
        let stream = try input.withUnsafeBytes { try BlockDeflater(level: 6).compress($0, last: true) }
        let whole = try #require(Self.finalBlock(stream))
        #expect((whole.end + 7) / 8 == UInt64(stream.count))
        // Every prefix near both ends (the headers, the last block and its end), every 7th between:
        // each walk is linear, so all of them would make this one test quadratic.
        let lengths = Array(0..<min(1024, stream.count)) + Array(stride(from: 1024, to: stream.count, by: 7)) + Array(max(0, stream.count - 1024)..<stream.count)
        for length in Set(lengths) {
            #expect(Self.finalBlock(Array(stream.prefix(length))) == nil, "a prefix of \(length) of \(stream.count) bytes")
        }
        var longer = stream + [0, 0, 0, 0, 0, 0]
        let status = longer.withUnsafeMutableBufferPointer { pra_deflate_make_continuable($0.baseAddress, stream.count + 1, $0.count) }
        #expect(status == 0)
    }

    @Test("the compressor's own check: a part decompresses to its input, and a changed bit is noticed")
    func selfCheck() throws {
        let input = [UInt8](ParallelGzipTests.sample(300_000))
        let deflater = try BlockDeflater(level: 6)
        let whole = try input.withUnsafeBytes { try deflater.compress($0, last: true) }
        let part = try input.withUnsafeBytes { try deflater.compress($0, last: false) }
        input.withUnsafeBytes { expected in
            whole.withUnsafeBytes { #expect(deflater.decompresses($0, to: expected)) }
            // A part that is not last, closed by an empty final block as the check closes it.
            (part + [0x03, 0x00]).withUnsafeBytes { #expect(deflater.decompresses($0, to: expected)) }
            // The part alone has no final block.
            part.withUnsafeBytes { #expect(!deflater.decompresses($0, to: expected)) }
            // A final block before the end: decompression would stop early.
            (whole + [0x00, 0x00, 0x00, 0xff, 0xff, 0x03, 0x00]).withUnsafeBytes { #expect(!deflater.decompresses($0, to: expected)) }
            // One byte short, or one byte more expected.
            whole.withUnsafeBytes { #expect(!deflater.decompresses($0, to: UnsafeRawBufferPointer(rebasing: expected.dropLast()))) }
        }
        var noticed = 0
        for bit in stride(from: 80, to: (whole.count - 1) * 8, by: max(1, (whole.count - 2) * 8 / 150)) {
            var changed = whole
            changed[bit / 8] ^= UInt8(1 << (bit % 8))
            let same = changed.withUnsafeBytes { bytes in input.withUnsafeBytes { deflater.decompresses(bytes, to: $0) } }
            if !same { noticed += 1 } else { Issue.record("bit \(bit) of \(whole.count * 8) changed, and the block still decompressed to its input") }
        }
        #expect(noticed >= 140)
    }

    /// Bits packed least significant first, as deflate stores them.
    struct BitWriter {
        var bytes: [UInt8] = []
        var count = 0

        mutating func write(_ value: Int, bits: Int) {
            for bit in 0..<bits { append((value >> bit) & 1) }
        }

        /// A Huffman code goes out most significant bit first.
        mutating func code(_ value: Int, length: Int) {
            for bit in stride(from: length - 1, through: 0, by: -1) { append((value >> bit) & 1) }
        }

        private mutating func append(_ bit: Int) {
            if count % 8 == 0 { bytes.append(0) }
            bytes[bytes.count - 1] |= UInt8(bit << (count % 8))
            count += 1
        }
    }

    @Test("a block cut before its end, whose missing bits would decode as length codes forever, is refused")
    func zerosDecodeForever() {
        // A dynamic block whose shortest code (all zero bits) is a length symbol (257) and whose
        // only distance code is zero too: past the data's end, zeros read as copies forever.
        var writer = BitWriter()
        writer.write(1, bits: 1)  // final
        writer.write(2, bits: 2)  // dynamic codes
        writer.write(258 - 257, bits: 5)
        writer.write(1 - 1, bits: 5)
        writer.write(18 - 4, bits: 4)
        // Code-length code lengths in the format's order 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4,
        // 12, 3, 13, 2, 14, 1: symbols 0, 1, 2 and 18 get two bits (codes 00, 01, 10, 11).
        for length in [0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] { writer.write(length, bits: 3) }
        writer.code(3, length: 2)  // 18: 11 + 127 zero lengths
        writer.write(127, bits: 7)
        writer.code(3, length: 2)  // 18: 11 + 107 more (literals 0-255 unused)
        writer.write(107, bits: 7)
        writer.code(2, length: 2)  // end-of-block: 2 bits
        writer.code(1, length: 2)  // 257: 1 bit
        writer.code(1, length: 2)  // distance 0: 1 bit
        #expect(Self.finalBlock(writer.bytes) == nil)
        // The same block with its end-of-block code (10) written is complete.
        var complete = writer
        complete.code(2, length: 2)
        #expect(Self.finalBlock(complete.bytes)?.end == UInt64(complete.count))
    }

    @Test("random and bit-flipped input: refused, or a final block that lies inside the bytes")
    func garbage() throws {
        let input = [UInt8](ParallelGzipTests.sample(20_000))
        let stream = try input.withUnsafeBytes { try BlockDeflater(level: 6).compress($0, last: true) }
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        var refused = 0
        for round in 0..<3_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = Self.noise(Int(state >> 54), seed: state)
            } else {
                bytes = stream
                let bit = Int(state >> 20) % (stream.count * 8)
                bytes[bit / 8] ^= UInt8(1 << (bit % 8))
            }
            // A copy with no slack, so an overread would leave the allocation.
            let exact = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            defer { exact.deallocate() }
            _ = exact.initialize(from: bytes)
            var header: UInt64 = 0
            var end: UInt64 = 0
            if pra_deflate_find_final_block(exact.baseAddress, bytes.count, &header, &end) == 0 {
                #expect(header < end && end <= UInt64(bytes.count) * 8)
            } else {
                refused += 1
            }
        }
        #expect(refused > 1_000)
    }
}
