import Crypto
import Foundation
import Testing

@testable import PRACore

/// ``ChainAssembly`` applying incrementals with the real `tar`, on archives built here: a forged
/// incremental whose archive and manifest agree (whoever can write BACKUP_DIR can forge both)
/// must still never write outside the data directory, past a file's recorded size, or through a
/// symbolic link.
@Suite("incremental base backups: applying a link on a data directory")
struct ChainAssemblyTests {
    typealias Model = IncrementalBaseBackupModelTests

    /// A scratch backup directory and data directory (with `base/1/f`, 3000 bytes, and `base/1/old`).
    struct Scratch {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pra-assembly-\(UUID().uuidString)").path
        var backups: String { root + "/backups" }
        var data: String { root + "/data" }
        var outside: String { root + "/outside" }

        init() throws {
            for directory in [backups, data + "/base/1", outside] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            FileManager.default.createFile(atPath: data + "/base/1/f", contents: Data(repeating: 1, count: 3000))
            FileManager.default.createFile(atPath: data + "/base/1/old", contents: Data([1, 2, 3]))
            FileManager.default.createFile(atPath: data + "/backup_manifest", contents: Data("{}".utf8))
        }

        /// Writes an incremental whose archive (gzip of `entries` + `backup_manifest`) and
        /// manifest agree, and returns its catalogue entry.
        func incremental(_ entries: [(String, [UInt8])]) throws -> BaseBackupCatalogue.Entry {
            let postgresManifest = Array("{}".utf8)
            let tar = Model.tar(entries + [("backup_manifest", postgresManifest)])
            let deflater = try ParallelGzipDeflater(level: 1, jobs: 1)
            var archive: [UInt8] = []
            try tar.withUnsafeBytes { try deflater.compress($0) { archive.append(contentsOf: $0) } }
            try deflater.finish { archive.append(contentsOf: $0) }
            let name = "db_backup_base_20261202_020000.tar.gz"
            let path = backups + "/" + name
            try Data(archive).write(to: URL(fileURLWithPath: path))
            try Data(postgresManifest).write(to: URL(fileURLWithPath: path + BaseBackupManifest.postgresManifestSuffix))
            let manifest = BaseBackupManifest(
                database: "db", systemIdentifier: "7", serverVersion: "15", pgBasebackupVersion: "15", startedAt: Date(), finishedAt: Date(),
                archive: name, compressedBytes: UInt64(archive.count), uncompressedBytes: UInt64(tar.count), sha256: SHA256.hash(data: archive).hex,
                compressionLevel: 1, timeline: 1, startLSN: LogSequenceNumber(2000), endLSN: LogSequenceNumber(2100), startSegment: "000000010000000000000001",
                endSegment: "000000010000000000000001", postgresManifest: name + BaseBackupManifest.postgresManifestSuffix,
                postgresManifestSHA256: SHA256.hash(data: postgresManifest).hex, fileCount: entries.count + 2)
            try manifest.encoded().write(to: URL(fileURLWithPath: path + BackupArchiveName.manifestSuffix))
            return try #require(BaseBackupCatalogue(directory: backups).entries.first)
        }

        func map(_ files: [(String, UInt64)]) -> RangeMap {
            var map = RangeMap(rangeSize: Model.rangeSize)
            for (path, size) in files + [("backup_manifest", 2)] {
                map.add(path: path, size: size, mode: 0o600, rangeHashes: [UInt8](repeating: 0, count: map.rangeCount(size: size) * 32))
            }
            return map
        }

        var assembly: ChainAssembly { ChainAssembly(directory: data, user: nil, progress: nil) }
    }

    @Test("a range is written at its offset, files are cut to their recorded size, and files the map lacks are removed")
    func applies() throws {
        let scratch = try Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.root) }
        let range = [UInt8](repeating: 9, count: 1024)
        let entry = try scratch.incremental([("pra-range/1/base/1/f", range), ("base/1/new", [5, 5])])
        let verdict = try scratch.assembly.apply(entry, map: scratch.map([("base/1/f", 2048), ("base/1/new", 2)]))
        #expect(verdict.valid, "\(verdict.problems)")
        let file = try Data(contentsOf: URL(fileURLWithPath: scratch.data + "/base/1/f"))
        #expect(file == Data(repeating: 1, count: 1024) + Data(range))
        #expect(FileManager.default.contents(atPath: scratch.data + "/base/1/new") == Data([5, 5]))
        #expect(!FileManager.default.fileExists(atPath: scratch.data + "/base/1/old"))
        #expect(!FileManager.default.fileExists(atPath: scratch.data + "/pra-range"))
    }

    @Test("a forged range entry is refused: a .. path, a range past the recorded size, a file the map lacks, a symbolic link on the way")
    func refusesForgedRanges() throws {
        let range = [UInt8](repeating: 9, count: 1024)
        let cases: [(entries: [(String, [UInt8])], map: [(String, UInt64)], expected: String, link: Bool)] = [
            ([("pra-range/0/base/../../outside/f", range)], [("base/1/f", 3000), ("base/../../outside/f", 1024)], "..", false),
            ([("pra-range/5/base/1/f", range)], [("base/1/f", 3000)], "does not fit", false),
            ([("pra-range/0/base/1/other", range)], [("base/1/f", 3000)], "does not list", false),
            ([("pra-range/0/base/1/f", range)], [("base/1/f", 3000)], "Not a directory", true),
        ]
        for forged in cases {
            let scratch = try Scratch()
            defer { try? FileManager.default.removeItem(atPath: scratch.root) }
            FileManager.default.createFile(atPath: scratch.outside + "/f", contents: Data(repeating: 7, count: 3000))
            if forged.link {
                // base/1 swapped for a link to a directory outside the data directory.
                try FileManager.default.removeItem(atPath: scratch.data + "/base/1")
                try FileManager.default.createSymbolicLink(atPath: scratch.data + "/base/1", withDestinationPath: scratch.outside)
            }
            let entry = try scratch.incremental(forged.entries)
            // Refused either way: the archive's own scanner (a .. path is no entry a base backup
            // holds: nothing from it on is extracted) or the range checks (an error).
            var refusal: String?
            do {
                let verdict = try scratch.assembly.apply(entry, map: scratch.map(forged.map))
                refusal = verdict.valid ? nil : verdict.problems.map(\.message).joined(separator: "; ")
            } catch {
                refusal = "\(error)"
            }
            #expect(refusal?.contains(forged.expected) == true, "\(forged.entries[0].0): \(refusal ?? "applied")")
            #expect(FileManager.default.contents(atPath: scratch.outside + "/f") == Data(repeating: 7, count: 3000))
        }
    }
}
