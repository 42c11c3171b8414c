import Foundation

/// The CRC-32C PostgreSQL's `backup_manifest` gives each file, read so that a verification
/// checks every file's content in the same pass that reads the archive (``TarStreamScanner``),
/// instead of `pg_verifybackup` reading the extracted tree a second time.
///
/// Only what can be checked in the stream is kept: files with `Checksum-Algorithm` CRC32C and a
/// plain `Path`. A file with another algorithm (SHA-224...) or an `Encoded-Path` makes
/// ``complete`` false, and the caller leaves those checks to `pg_verifybackup`.
public struct PostgresBackupManifestChecksums: Sendable {
    public struct Expected: Sendable, Equatable {
        public var size: UInt64
        /// The finished CRC-32C (inverted, as PostgreSQL records it).
        public var crc32c: UInt32
    }

    /// By path, as the tar entries name the files.
    public private(set) var files: [String: Expected] = [:]
    /// Every file with a checksum can be checked here (none with another algorithm or an encoded path).
    public private(set) var complete = true

    private struct Manifest: Decodable {
        struct File: Decodable {
            var path: String?
            var encodedPath: String?
            var size: UInt64
            var algorithm: String?
            var checksum: String?

            enum CodingKeys: String, CodingKey {
                case path = "Path", encodedPath = "Encoded-Path", size = "Size", algorithm = "Checksum-Algorithm", checksum = "Checksum"
            }
        }

        var files: [File]

        enum CodingKeys: String, CodingKey { case files = "Files" }
    }

    /// Reads the manifest's `Files`; `nil` when it is not a manifest pra can read.
    public init?(manifest: Data) {
        guard let decoded = try? JSONDecoder().decode(Manifest.self, from: manifest) else { return nil }
        for file in decoded.files {
            guard let algorithm = file.algorithm, algorithm != "NONE" else { continue }
            guard algorithm == "CRC32C", let path = file.path, let text = file.checksum, let crc = Self.crc(hex: text) else {
                complete = false
                continue
            }
            files[path] = Expected(size: file.size, crc32c: crc)
        }
    }

    /// PostgreSQL writes the CRC's four bytes as they lie in memory (little-endian) in hex.
    static func crc(hex: String) -> UInt32? {
        let digits = Array(hex.utf8)
        guard digits.count == 8 else { return nil }
        var value: UInt32 = 0
        for index in stride(from: 0, to: 8, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16) else { return nil }
            value |= UInt32(byte) << (UInt32(index / 2) * 8)
        }
        return value
    }
}
