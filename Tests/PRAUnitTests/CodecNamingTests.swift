import Crypto
import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// Base backup and WAL file names in every codec, the manifest's codec, and the reader that
/// refuses a file whose name and content disagree (server-free; the real-server round trips are
/// in PRACLITests: CodecRoundTripTests, CodecCorruptionTests, CodecOffSiteTests).
@Suite("codecs of base backups and WAL: names, manifest, checked reading")
struct CodecNamingTests {
    static let sha = String(repeating: "ab", count: 32)

    /// `content` compressed in `codec` (one stream, as pra writes it).
    static func compressed(_ content: [UInt8], _ codec: CompressionCodec) throws -> [UInt8] {
        let compressor = try codec.archiveCompressor(level: codec.defaultLevel, jobs: 1)
        var out: [UInt8] = []
        try content.withUnsafeBytes { try compressor.compress($0) { out += $0 } }
        try compressor.finish { out += $0 }
        return out
    }

    @Test("WAL archive names: <NAME>-<sha256> with .gz, .zst or .lz4 parse back to their codec; any other suffix is not an archive file", arguments: CompressionCodec.allCases)
    func walNames(codec: CompressionCodec) throws {
        let name = try #require(WALFileName("000000010000000000000003"))
        let fileName = WALArchive.fileName(name, sha256: Self.sha, codec: codec)
        #expect(fileName == "000000010000000000000003-\(Self.sha)\(codec.fileExtension)")
        let parsed = try #require(WALArchive.parse(fileName: fileName))
        #expect(parsed.name == name && parsed.sha256 == Self.sha && parsed.codec == codec)
        #expect(RemoteWALArchive.entries(in: [fileName, fileName + ".partial", "archive.json"]).map(\.fileName) == [fileName])
        #expect(WALArchive.parse(fileName: "000000010000000000000003-\(Self.sha).bz2") == nil)
    }

    @Test("archive names: base backups .tar.gz/.zst/.lz4 and logical dumps .sql.gz/.zst/.lz4 parse back with their kind and codec; a dump's name is not a base backup's", arguments: CompressionCodec.allCases)
    func archiveNames(codec: CompressionCodec) throws {
        let base = BackupArchiveName(prefix: "akig", timestamp: Date(timeIntervalSince1970: 1_790_000_000), kind: .base, codec: codec)
        #expect(base.fileName == "akig_backup_base_20260921_141320.tar\(codec.fileExtension)")
        let parsed = try #require(BackupArchiveName(fileName: base.fileName, kind: .base))
        #expect(parsed == base && parsed.codec == codec)
        let dump = BackupArchiveName(prefix: "akig", timestamp: Date(timeIntervalSince1970: 1_790_000_000), kind: .full, codec: codec)
        #expect(dump.fileName == "akig_backup_full_20260921_141320.sql\(codec.fileExtension)")
        let parsedDump = try #require(BackupArchiveName(fileName: dump.fileName))
        #expect(parsedDump == dump && parsedDump.codec == codec && parsedDump.kind == .full)
        #expect(BackupArchiveName(fileName: dump.fileName, kind: .base) == nil)
        #expect(BackupArchiveName(fileName: base.fileName) == nil)
        #expect(BackupArchiveName(fileName: "akig_backup_full_20260921_141320.sql\(codec.fileExtension).partial") == nil)
        #expect(BackupArchiveName(fileName: "akig_backup_full_20260921_141320.sql.bz2") == nil)
    }

    @Test("a logical dump's manifest: gzip leaves the compression field out (older pra reads it), zstd and lz4 record it; the level must be one of the codec's")
    func logicalManifestCodec() throws {
        func manifest(_ codec: CompressionCodec, level: Int) -> BackupManifest {
            BackupManifest(database: "akig", serverVersion: "15", pgDumpVersion: "15", startedAt: Date(timeIntervalSince1970: 1), finishedAt: Date(timeIntervalSince1970: 2),
                           archive: "akig_backup_full_20260921_141320.sql\(codec.fileExtension)", compressedBytes: 1, uncompressedBytes: 1, sha256: Self.sha,
                           compressionLevel: level, compression: codec, snapshot: "1", tables: [])
        }
        let gzip = manifest(.gzip, level: 6)
        #expect(!String(decoding: gzip.encoded(), as: UTF8.self).contains("compression\""))
        #expect(try JSONCoding.decoder.decode(BackupManifest.self, from: gzip.encoded()).codec == .gzip)
        for codec in [CompressionCodec.zstd, .lz4] {
            let encoded = manifest(codec, level: codec.defaultLevel).encoded()
            #expect(String(decoding: encoded, as: UTF8.self).contains("\"compression\" : \"\(codec.rawValue)\""))
            #expect(try JSONCoding.decoder.decode(BackupManifest.self, from: encoded).codec == codec)
        }
        #expect(manifest(.gzip, level: 6).problem == nil)
        #expect(manifest(.zstd, level: 19).problem == nil)
        #expect(manifest(.gzip, level: 19).problem?.contains("not a gzip level (1-9)") == true)
        #expect(manifest(.lz4, level: 13).problem?.contains("not a lz4 level (1-12)") == true)
    }

    @Test("a base backup manifest written before BASE_BACKUP_COMPRESSION (no compression field) reads as gzip; a new one keeps its codec")
    func manifestCodec() throws {
        let manifest = BaseBackupManifest(
            database: "akig", systemIdentifier: "1", serverVersion: "15", pgBasebackupVersion: "15", startedAt: Date(), finishedAt: Date(),
            archive: "akig_backup_base_20260921_141320.tar.zst", compressedBytes: 1, uncompressedBytes: 1, sha256: Self.sha, compressionLevel: 3,
            compression: .zstd, timeline: 1, startLSN: LogSequenceNumber("0/2000028")!, endLSN: LogSequenceNumber("0/2000100")!,
            startSegment: "000000010000000000000002", endSegment: "000000010000000000000002", postgresManifest: "x", postgresManifestSHA256: Self.sha, fileCount: 1)
        let encoded = manifest.encoded()
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"compression\" : \"zstd\""))
        #expect(try JSONCoding.decoder.decode(BaseBackupManifest.self, from: encoded).codec == .zstd)
        var old = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        old.removeValue(forKey: "compression")
        let legacy = try JSONCoding.decoder.decode(BaseBackupManifest.self, from: try JSONSerialization.data(withJSONObject: old))
        #expect(legacy.compression == nil && legacy.codec == .gzip)
    }

    @Test("the checked reader decodes its own codec and refuses another codec's stream, a stream of no known format and a truncated one, naming what it found", arguments: CompressionCodec.allCases)
    func checkedReader(codec: CompressionCodec) throws {
        let content = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
        let data = try Self.compressed(content, codec)
        func read(_ bytes: [UInt8], as expected: CompressionCodec) throws -> [UInt8] {
            let reader = try CheckedDecompressor(codec: expected)
            var out: [UInt8] = []
            // Fed in small pieces: the magic number is checked even when it arrives split.
            for start in stride(from: 0, to: bytes.count, by: 3) {
                try bytes[start..<min(start + 3, bytes.count)].withUnsafeBytes { try reader.decompress($0) { out += $0 } }
            }
            try reader.finish()
            return out
        }
        #expect(try read(data, as: codec) == content)
        for other in CompressionCodec.allCases where other != codec {
            do {
                _ = try read(data, as: other)
                Issue.record("\(codec) data read as \(other)")
            } catch let error as CodecError {
                #expect(error.kind == .wrongFormat)
                #expect(error.description == "named as \(other.rawValue) (\(other.fileExtension)) but holds \(codec.rawValue) data")
            }
        }
        #expect(throws: CodecError.self) { _ = try read(Array("not compressed at all".utf8), as: codec) }
        #expect(throws: CodecError.self) { _ = try read([0x28], as: codec) }
        do {
            _ = try read(Array(data.prefix(data.count / 2)), as: codec)
            Issue.record("a truncated \(codec) stream was accepted")
        } catch let error as CodecError {
            #expect(error.kind == .truncated || error.kind == .corruptData, "\(error)")
        }
    }

    @Test("the WAL archive finds a segment whatever its codec; one content in two codecs is one file, two contents are ambiguous; a suffix that lies about the content is corrupt")
    func mixedArchive() throws {
        let directory = TestEnvironment.temporaryDirectory("codec-archive")
        let archive = WALArchive(backupDirectory: directory)
        let name = try #require(WALFileName("000000010000000000000007"))
        let folder = archive.root + "/" + name.directoryName
        let content = [UInt8](repeating: 7, count: 50_000)
        let sha = SHA256.hash(data: content).hex
        // zstd alone: found, read back.
        try LocalWALFetcherTests.put(name, content, in: archive, codec: .zstd)
        var found = try #require(try archive.find(name))
        #expect(found.codec == .zstd)
        var back: [UInt8] = []
        #expect(try archive.read(found) { back += $0 } == UInt64(content.count))
        #expect(back == content)
        // The same content in gzip beside it: one file (gzip first), not ambiguous; both listed.
        try LocalWALFetcherTests.put(name, content, in: archive, codec: .gzip)
        found = try #require(try archive.find(name))
        #expect(found.codec == .gzip)
        #expect(archive.files().map(\.codec) == [.gzip, .zstd])
        // Other content in lz4: nobody can tell which is right.
        try Data(try Self.compressed([1, 2, 3], .lz4)).write(to: URL(fileURLWithPath: folder + "/" + WALArchive.fileName(name, sha256: String(repeating: "0", count: 64), codec: .lz4)))
        #expect(throws: WALArchiveError.self) { _ = try archive.find(name) }
        try FileManager.default.removeItem(atPath: folder + "/" + WALArchive.fileName(name, sha256: String(repeating: "0", count: 64), codec: .lz4))
        // gzip bytes under a .lz4 name: refused as corrupt, naming the codecs.
        try FileManager.default.removeItem(atPath: folder + "/" + WALArchive.fileName(name, sha256: sha, codec: .zstd))
        try FileManager.default.moveItem(atPath: folder + "/" + WALArchive.fileName(name, sha256: sha, codec: .gzip), toPath: folder + "/" + WALArchive.fileName(name, sha256: sha, codec: .lz4))
        let lying = try #require(try archive.find(name))
        #expect(archive.damage(of: lying) == "named as lz4 (.lz4) but holds gzip data")
    }

    @Test("off-site: a segment whose content is there in two codecs is found and prefetched as one file; two contents stop the prefetch there")
    func offSiteDuplicates() throws {
        let target = TestEnvironment.temporaryDirectory("codec-offsite-dup") + "/wal"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: [:])
        let remote = RemoteWALArchive(store: try RemoteTarget(target).store(configuration: configuration))
        let names = (3...6).map { WALFileName(timeline: 1, segmentNumber: UInt64($0), segmentSize: 16 << 20) }
        func put(_ name: WALFileName, sha: String, _ codec: CompressionCodec) throws {
            try Data([0]).write(to: URL(fileURLWithPath: target + "/" + WALArchive.fileName(name, sha256: sha, codec: codec)))
        }
        try put(names[0], sha: Self.sha, .gzip)
        try put(names[1], sha: Self.sha, .gzip)
        try put(names[1], sha: Self.sha, .zstd)
        try put(names[2], sha: Self.sha, .lz4)
        try put(names[3], sha: Self.sha, .gzip)
        try put(names[3], sha: String(repeating: "0", count: 64), .zstd)
        let entries = try remote.entries()
        #expect(try remote.find(names[1], in: entries)?.codec == .gzip)
        #expect(throws: RemoteWALError.self) { _ = try remote.find(names[3], in: entries) }
        let first = try #require(try remote.find(names[0], in: entries))
        let fetcher = RemoteWALFetcher(remote: remote, prefetch: 3, localIdentity: nil)
        let ahead = try fetcher.following(first, entries: entries, identity: nil, spool: WALSpool(path: TestEnvironment.temporaryDirectory("codec-offsite-spool")))
        #expect(ahead.map(\.fileName) == [WALArchive.fileName(names[1], sha256: Self.sha, codec: .gzip), WALArchive.fileName(names[2], sha256: Self.sha, codec: .lz4)])
    }
}
