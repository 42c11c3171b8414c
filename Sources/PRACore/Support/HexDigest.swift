import Crypto
import Foundation

extension SHA256Digest {
    /// The digest as 64 lower-case hex digits, as manifests and archive names write it.
    public var hex: String { HexDigest.hex(self) }
}

/// Lower-case hex of bytes (digests, HMACs).
enum HexDigest {
    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// SHA-256 for modules that do not import Crypto themselves.
public enum ContentDigest {
    /// The SHA-256 of `data` as 64 lower-case hex digits.
    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).hex
    }
}
