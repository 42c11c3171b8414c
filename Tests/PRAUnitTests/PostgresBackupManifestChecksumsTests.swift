import CPosix
import Foundation
import Testing

@testable import PRACore

/// A base backup's files are checked against the CRC-32C PostgreSQL's `backup_manifest` gives
/// them while the archive streams (``TarStreamScanner`` with ``PostgresBackupManifestChecksums``),
/// which is what lets a restore skip pg_verifybackup's second read of every byte.
@Suite("backup_manifest CRC-32C checked in the tar stream")
struct PostgresBackupManifestChecksumsTests {
    static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { pra_crc32c(0xFFFF_FFFF, $0.baseAddress, $0.count) } ^ 0xFFFF_FFFF
    }

    /// PostgreSQL's spelling: the CRC's bytes little-endian, in hex.
    static func hex(_ value: UInt32) -> String {
        withUnsafeBytes(of: value.littleEndian) { $0.map { String(format: "%02x", $0) }.joined() }
    }

    static func manifest(_ files: [(path: String, size: Int, checksum: String?)], algorithm: String = "CRC32C") -> Data {
        let lines = files.map { file in
            "{ \"Path\": \"\(file.path)\", \"Size\": \(file.size), \"Last-Modified\": \"2026-12-07 10:00:00 GMT\""
                + (file.checksum.map { ", \"Checksum-Algorithm\": \"\(algorithm)\", \"Checksum\": \"\($0)\"" } ?? "") + " }"
        }
        return Data("{\"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n\(lines.joined(separator: ",\n"))\n],\n\"Manifest-Checksum\": \"00\"}\n".utf8)
    }

    static func tar(_ files: [(name: String, content: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = TarHeader.make(name: "base", kind: .directory, mode: 0o700, modified: 0)
        for file in files {
            out += TarHeader.make(name: file.name, kind: .file(size: UInt64(file.content.count)), mode: 0o600, modified: 0)
            out += file.content + [UInt8](repeating: 0, count: TarHeader.padding(after: UInt64(file.content.count)))
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// Scans `archive` in pieces of `piece` bytes (so a file's content spans calls).
    static func scan(_ archive: [UInt8], checksums: PostgresBackupManifestChecksums?, piece: Int = 1000) -> TarStreamScanner {
        var scanner = TarStreamScanner(keeping: "backup_manifest")
        scanner.checksums = checksums
        var offset = 0
        while offset < archive.count {
            let end = min(archive.count, offset + piece)
            archive[offset..<end].withUnsafeBytes { scanner.scan($0) }
            offset = end
        }
        return scanner
    }

    let big = CRC32CTests.bytes(100_000, seed: 7)
    let small = Array("PG_VERSION 15\n".utf8)

    @Test("every file matching its size and CRC-32C, the empty one included, reads as all matched")
    func allMatch() throws {
        let checksums = try #require(PostgresBackupManifestChecksums(manifest: Self.manifest([
            ("base/1/1259", big.count, Self.hex(Self.crc(big))), ("PG_VERSION", small.count, Self.hex(Self.crc(small))), ("base/1/empty", 0, "00000000"),
        ])))
        #expect(checksums.files.count == 3 && checksums.complete)
        for piece in [1, 511, 1000, 1 << 20] {
            let scanner = Self.scan(Self.tar([("base/1/1259", big), ("PG_VERSION", small), ("base/1/empty", [])]), checksums: checksums, piece: piece)
            #expect(scanner.checksumMismatches.isEmpty, "piece \(piece): \(scanner.checksumMismatches)")
            #expect(scanner.allChecksumsMatched, "piece \(piece)")
            #expect(scanner.reachedEnd)
        }
    }

    @Test("a changed byte, a changed size, a missing file, another algorithm or an encoded path leaves the check to pg_verifybackup, a difference named with both CRCs")
    func differences() throws {
        var changed = big
        changed[50_000] ^= 0x01
        let listed = try #require(PostgresBackupManifestChecksums(manifest: Self.manifest([("base/1/1259", big.count, Self.hex(Self.crc(big))), ("PG_VERSION", small.count, Self.hex(Self.crc(small)))])))

        let flipped = Self.scan(Self.tar([("base/1/1259", changed), ("PG_VERSION", small)]), checksums: listed)
        #expect(!flipped.allChecksumsMatched)
        #expect(flipped.checksumMismatches == ["base/1/1259: CRC-32C \(String(format: "%08x", Self.crc(changed))), backup_manifest says \(String(format: "%08x", Self.crc(big)))"])

        let cut = Self.scan(Self.tar([("base/1/1259", Array(big.prefix(8192))), ("PG_VERSION", small)]), checksums: listed)
        #expect(cut.checksumMismatches == ["base/1/1259: 8192 bytes, backup_manifest says 100000"])

        let missing = Self.scan(Self.tar([("PG_VERSION", small)]), checksums: listed)
        #expect(missing.checksumMismatches.isEmpty && !missing.allChecksumsMatched, "a file the archive lacks is not checked")

        // The same path twice: the later copy is what tar leaves on disk, and it is checked too.
        let twice = Self.scan(Self.tar([("base/1/1259", big), ("PG_VERSION", small), ("base/1/1259", changed)]), checksums: listed)
        #expect(!twice.allChecksumsMatched && twice.checksumMismatches.count == 1)

        // Twelve files differ: the first ten are named, then one line says more do.
        let many = (1...12).map { ("base/1/\($0)", small) }
        let manyListed = try #require(PostgresBackupManifestChecksums(manifest: Self.manifest(many.map { ($0.0, small.count + 1, Self.hex(Self.crc(small))) })))
        let capped = Self.scan(Self.tar(many), checksums: manyListed)
        #expect(capped.checksumMismatches.count == 11, "\(capped.checksumMismatches)")
        #expect(capped.checksumMismatches[9].hasPrefix("base/1/10: ") && capped.checksumMismatches[10] == "and more files differ from backup_manifest")

        let sha = try #require(PostgresBackupManifestChecksums(manifest: Self.manifest([("PG_VERSION", small.count, String(repeating: "ab", count: 28))], algorithm: "SHA224")))
        #expect(!sha.complete && sha.files.isEmpty)
        #expect(!Self.scan(Self.tar([("PG_VERSION", small)]), checksums: sha).allChecksumsMatched)

        let encoded = try #require(PostgresBackupManifestChecksums(manifest: Data("{\"Files\": [{ \"Encoded-Path\": \"6162\", \"Size\": 1, \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"00000000\" }]}".utf8)))
        #expect(!encoded.complete)

        let none = try #require(PostgresBackupManifestChecksums(manifest: Self.manifest([("PG_VERSION", small.count, nil)])))
        #expect(none.complete && none.files.isEmpty, "files without checksums are pg_verifybackup's, by size")

        #expect(PostgresBackupManifestChecksums(manifest: Data("not json".utf8)) == nil)
        #expect(!Self.scan(Self.tar([("PG_VERSION", small)]), checksums: nil).allChecksumsMatched, "no manifest, nothing checked")
    }

    @Test("the CRC's hex is read as PostgreSQL writes it (little-endian bytes)")
    func hexOrder() {
        #expect(PostgresBackupManifestChecksums.crc(hex: "839206e3") == 0xE306_9283)
        #expect(PostgresBackupManifestChecksums.crc(hex: "83920") == nil)
        #expect(PostgresBackupManifestChecksums.crc(hex: "zz9206e3") == nil)
    }
}
