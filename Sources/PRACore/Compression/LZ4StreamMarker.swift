/// The two lz4 skippable frames that bracket a ``ParallelLZ4Compressor`` stream, so that a
/// stream cut exactly between two of its frames, which is a valid shorter lz4 stream on its
/// own, is still refused as truncated by ``LZ4FrameDecompressor``. Skippable frames are part of
/// the lz4 frame format: `lz4 -d` (and any lz4 frame decoder) skips them.
///
/// Layout (little-endian): the magic number ``magic`` (skippable frame 0x184D2A5A), the payload
/// size, then the payload: the tag `pra-lz4s` for the start; for the end the tag `pra-lz4e`,
/// the number of lz4 frames since the start and their total uncompressed size (8 bytes each),
/// and the CRC-32 of all of their content (4 bytes): each frame's own checksum cannot tell
/// that two whole frames were swapped, the CRC of the whole can.
enum LZ4StreamMarker: Equatable {
    case start
    case end(frames: UInt64, bytes: UInt64, crc: UInt32)

    static let magic: UInt32 = 0x184D_2A5A
    /// The magic number as it opens the file.
    static let magicBytes: [UInt8] = [0x5A, 0x2A, 0x4D, 0x18]
    static let startTag = Array("pra-lz4s".utf8)
    static let endTag = Array("pra-lz4e".utf8)
    /// The payload sizes of the two markers: pra's skippable frame has no other size.
    static let payloadSizes: Set<Int> = [8, 28]
    /// Bytes of the start marker, which opens the file (``CompressionCodec/detect(_:)`` reads it).
    static let startLength = 16

    /// The whole skippable frame.
    var bytes: [UInt8] {
        var payload: [UInt8]
        switch self {
        case .start: payload = Self.startTag
        case .end(let frames, let bytes, let crc): payload = Self.endTag + Self.littleEndian(frames) + Self.littleEndian(bytes) + Self.littleEndian(crc)
        }
        return Self.magicBytes + Self.littleEndian(UInt32(payload.count)) + payload
    }

    /// The marker a whole skippable frame with pra's magic holds, or `nil` when it is not one.
    init?(_ frame: [UInt8]) {
        guard frame.count >= 8, Array(frame[0..<4]) == Self.magicBytes,
              Int(Self.integer(frame, at: 4, width: 4)) == frame.count - 8 else { return nil }
        let payload = Array(frame[8...])
        if payload == Self.startTag {
            self = .start
        } else if payload.count == 28, Array(payload[0..<8]) == Self.endTag {
            self = .end(frames: Self.integer(payload, at: 8, width: 8), bytes: Self.integer(payload, at: 16, width: 8),
                        crc: UInt32(Self.integer(payload, at: 24, width: 4)))
        } else {
            return nil
        }
    }

    /// Whether `prefix` (the opening bytes of a file) is a start marker.
    static func opensStream(_ prefix: some Collection<UInt8>) -> Bool {
        let bytes = Array(prefix.prefix(startLength))
        return bytes.count == startLength && LZ4StreamMarker(bytes) == .start
    }

    /// The payload size a skippable frame header (magic and size, 8 bytes) announces.
    static func payloadSize(ofHeader header: [UInt8]) -> Int {
        Int(integer(header, at: 4, width: 4))
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private static func integer(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64 {
        (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
