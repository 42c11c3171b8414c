import Crypto
import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// `pra wal get` from the local archive with the next segments inflated ahead (by a background
/// prefetcher) into the spool beside `%p`: served by rename only while the archive names the same content, a damaged
/// segment ahead never fails the one asked for, and the spool goes when recovery ends.
@Suite("wal get from the local archive: segments inflated ahead into the spool by a prefetcher")
struct LocalWALFetcherTests {
    /// An archive holding segments 1...count of timeline 1, each with its own content.
    static func archive(_ label: String, count: Int) throws -> (archive: WALArchive, contents: [String: [UInt8]], pgWAL: String) {
        let directory = TestEnvironment.temporaryDirectory(label)
        let archive = WALArchive(backupDirectory: directory + "/backups")
        var contents: [String: [UInt8]] = [:]
        for number in 1...count {
            let name = WALFileName(timeline: 1, segmentNumber: UInt64(number), segmentSize: 16 << 20)
            try put(name, CRC32CTests.bytes(200_000, seed: UInt64(number)).map { $0 & 0x3F }, in: archive)
            contents[name.text] = CRC32CTests.bytes(200_000, seed: UInt64(number)).map { $0 & 0x3F }
        }
        let pgWAL = directory + "/pg_wal"
        try FileManager.default.createDirectory(atPath: pgWAL, withIntermediateDirectories: true)
        return (archive, contents, pgWAL)
    }

    /// Archives `content` as `name` the way `pra wal push` names it (compressed in `codec`,
    /// SHA-256 of `content` in the name), or `stored` bytes under that name; the file's path.
    @discardableResult
    static func put(_ name: WALFileName, _ content: [UInt8], in archive: WALArchive, codec: CompressionCodec = .gzip, stored: [UInt8]? = nil) throws -> String {
        let folder = archive.root + "/" + name.directoryName
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + WALArchive.fileName(name, sha256: SHA256.hash(data: content).hex, codec: codec)
        try Data(try stored ?? CodecNamingTests.compressed(content, codec)).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func name(_ number: UInt64) -> WALFileName { WALFileName(timeline: 1, segmentNumber: number, segmentSize: 16 << 20) }

    /// Counts the prefetchers a fetcher starts.
    final class Launches: @unchecked Sendable { var names: [String] = [] }

    /// A fetcher whose prefetcher runs at once in this process (`pra wal get` starts it as a
    /// background process): the spool's content is then known when `fetch` returns.
    static func fetcher(_ archive: WALArchive, prefetch: Int, pgWAL: String, launches: Launches = Launches()) -> LocalWALFetcher {
        LocalWALFetcher(archive: archive, prefetch: prefetch, launch: { name in
            launches.names.append(name.text)
            LocalWALFetcher(archive: archive, prefetch: prefetch, launch: { _ in }).prefetch(after: name, destination: pgWAL + "/RECOVERYXLOG")
        })
    }

    static func spooled(_ spool: WALSpool) -> [String] { spool.contents().map { String($0.prefix(24)) }.sorted() }

    static func get(_ number: UInt64, _ fetcher: LocalWALFetcher, to pgWAL: String) throws -> WALFetchOperation.Outcome {
        let file = try #require(try fetcher.archive.find(name(number)))
        return try fetcher.fetch(file, to: pgWAL + "/RECOVERYXLOG")
    }

    @Test("the segment asked for is written, then the prefetcher spools the next three; asking for them renames the spooled copy and tops the spool up; passed ones are trimmed; no second prefetcher while one holds the spool")
    func prefetches() throws {
        let (archive, contents, pgWAL) = try Self.archive("local-prefetch", count: 6)
        let launches = Launches()
        let fetcher = Self.fetcher(archive, prefetch: 3, pgWAL: pgWAL, launches: launches)
        let spool = WALSpool(destination: pgWAL + "/RECOVERYXLOG")
        guard case .fetched(let bytes, let source) = try Self.get(1, fetcher, to: pgWAL) else { Issue.record("not fetched"); return }
        #expect(bytes == 200_000 && !source.contains("prefetched"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: pgWAL + "/RECOVERYXLOG")) == Data(contents[Self.name(1).text]!))
        #expect(Self.spooled(spool) == [2, 3, 4].map { Self.name($0).text })
        let expected: [UInt64: [UInt64]] = [2: [3, 4, 5], 3: [4, 5, 6], 4: [5, 6], 5: [6], 6: []]
        for number in UInt64(2)...6 {
            guard case .fetched(_, let source) = try Self.get(number, fetcher, to: pgWAL) else { Issue.record("not fetched"); return }
            #expect(source.hasSuffix("(prefetched)"), "\(number): \(source)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: pgWAL + "/RECOVERYXLOG")) == Data(contents[Self.name(number).text]!))
            #expect(Self.spooled(spool) == expected[number]!.map { Self.name($0).text }, "after \(number)")
        }
        #expect(launches.names == [1, 2, 3].map { Self.name($0).text }, "none once nothing is left to fetch ahead")

        // Another prefetcher holding the spool: none is started; the segment is still fetched.
        let (other, _, otherWAL) = try Self.archive("local-prefetch-held", count: 3)
        let held = Launches()
        let otherSpool = WALSpool(destination: otherWAL + "/RECOVERYXLOG")
        try otherSpool.create()
        let lock = try FileLock(path: otherSpool.prefetchLock, wait: false)
        try withExtendedLifetime(lock) {
            _ = try Self.get(1, Self.fetcher(other, prefetch: 3, pgWAL: otherWAL, launches: held), to: otherWAL)
        }
        #expect(held.names.isEmpty)
        #expect(Self.spooled(otherSpool).isEmpty)
    }

    @Test("a spooled copy whose content the archive no longer names is not served; a damaged segment ahead is not spooled and fails only when asked for")
    func servesOnlyWhatTheArchiveNames() throws {
        let (archive, contents, pgWAL) = try Self.archive("local-prefetch-changed", count: 4)
        let fetcher = Self.fetcher(archive, prefetch: 3, pgWAL: pgWAL)
        let spool = WALSpool(destination: pgWAL + "/RECOVERYXLOG")
        _ = try Self.get(1, fetcher, to: pgWAL)
        #expect(spool.contents().count == 3)
        // Segment 2 replaced in the archive by other content: the spooled copy is stale.
        let folder = archive.root + "/" + Self.name(2).directoryName
        let old = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasPrefix(Self.name(2).text) })
        try FileManager.default.removeItem(atPath: folder + "/" + old)
        let replacement = Array(contents[Self.name(2).text]!.reversed())
        try Self.put(Self.name(2), replacement, in: archive)
        guard case .fetched(_, let source) = try Self.get(2, fetcher, to: pgWAL) else { Issue.record("not fetched"); return }
        #expect(!source.contains("prefetched"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: pgWAL + "/RECOVERYXLOG")) == Data(replacement))

        // A damaged segment 6 ahead of 5: 5 is fetched, 6 not spooled, and asking for 6 fails naming it.
        let damaged = LocalWALFetcherTests.name(6)
        try Self.put(Self.name(5), [5, 5, 5], in: archive)
        let sixFolder = archive.root + "/" + damaged.directoryName
        let good = CRC32CTests.bytes(100_000, seed: 66)
        var gzip = try CodecNamingTests.compressed(good, .gzip)
        gzip[gzip.count / 2] ^= 0x20
        try Data(gzip).write(to: URL(fileURLWithPath: sixFolder + "/" + WALArchive.fileName(damaged, sha256: SHA256.hash(data: good).hex, codec: .gzip)))
        guard case .fetched = try Self.get(5, fetcher, to: pgWAL) else { Issue.record("5 not fetched"); return }
        #expect(!spool.contents().contains { $0.hasPrefix(damaged.text) })
        #expect(throws: WALArchiveError.self) { _ = try Self.get(6, fetcher, to: pgWAL) }
    }

    @Test("WAL_GET_PREFETCH=0 spools nothing; a file found nowhere removes the spool (the end of recovery)")
    func noPrefetchAndEnd() throws {
        let (archive, _, pgWAL) = try Self.archive("local-prefetch-end", count: 3)
        let spool = WALSpool(destination: pgWAL + "/RECOVERYXLOG")
        _ = try Self.get(1, Self.fetcher(archive, prefetch: 0, pgWAL: pgWAL), to: pgWAL)
        #expect(!FileManager.default.fileExists(atPath: spool.path))
        _ = try Self.get(1, Self.fetcher(archive, prefetch: 4, pgWAL: pgWAL), to: pgWAL)
        #expect(spool.contents().count == 2)
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: TestEnvironment.baseEnvironment(["BACKUP_DIR": (archive.root as NSString).deletingLastPathComponent]))
        #expect(try WALFetchOperation(configuration: configuration).run(name: "00000002.history", to: pgWAL + "/RECOVERYHISTORY") == .notFound)
        #expect(!FileManager.default.fileExists(atPath: spool.path))
    }
}
