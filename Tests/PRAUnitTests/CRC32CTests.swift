import CPosix
import Testing

/// The CRC-32C of PostgreSQL's backup manifests (`pra_crc32c` in CPosix): the three-stream
/// SSE 4.2 path and the joining of pieces computed apart must give exactly the bit-by-bit CRC.
@Suite("CRC-32C: three streams and joined pieces equal the bit-by-bit CRC")
struct CRC32CTests {
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    static func fast(_ bytes: [UInt8], from crc: UInt32 = 0xFFFF_FFFF) -> UInt32 {
        bytes.withUnsafeBytes { pra_crc32c(crc, $0.baseAddress, $0.count) }
    }

    static func portable(_ bytes: [UInt8], from crc: UInt32 = 0xFFFF_FFFF) -> UInt32 {
        bytes.withUnsafeBytes { pra_crc32c_portable(crc, $0.baseAddress, $0.count) }
    }

    @Test("the check value of \"123456789\" is 0xE3069283, on the fast path and the portable one")
    func checkValue() {
        let text = Array("123456789".utf8)
        #expect(Self.fast(text) ^ 0xFFFF_FFFF == 0xE306_9283)
        #expect(Self.portable(text) ^ 0xFFFF_FFFF == 0xE306_9283)
    }

    /// Lengths around the three-stream threshold (3 × 8 KiB) and its multiples, odd tails, and
    /// a running value other than the initial one.
    @Test("lengths around the three-stream stretch (24 KiB) and odd tails give the bit-by-bit CRC", arguments: [0, 1, 7, 8, 24_575, 24_576, 24_577, 49_152 + 13, 1 << 20, (1 << 20) + 5])
    func fastEqualsPortable(length: Int) {
        let data = Self.bytes(length, seed: UInt64(length) + 11)
        #expect(Self.fast(data) == Self.portable(data))
        #expect(Self.fast(data, from: 0x1234_5678) == Self.portable(data, from: 0x1234_5678))
    }

    @Test("pieces computed apart and joined with pra_crc32c_shift give the CRC of the whole, in any cut")
    func joinedPieces() {
        let data = Self.bytes(3 << 20, seed: 42)
        let whole = Self.portable(data)
        for cuts in [[0, 1 << 20, 2 << 20], [0, 1, 4_097, 1_500_000], [0, 3 << 20], [0, 100, 200, 300, 2_999_999]] {
            var state: UInt32 = 0xFFFF_FFFF
            let bounds = cuts + [data.count]
            for (start, end) in zip(bounds, bounds.dropFirst()) {
                let piece = Array(data[start..<end])
                state = pra_crc32c_shift(state, UInt64(piece.count)) ^ Self.fast(piece, from: 0)
            }
            #expect(state == whole, "cuts \(cuts)")
        }
        #expect(pra_crc32c_shift(0xFFFF_FFFF, 0) == 0xFFFF_FFFF)
    }
}
