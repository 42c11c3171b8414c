import Crypto
import Foundation
import Testing

@testable import PRACore

/// Range maps, the tar filter that writes incremental base backups, the router that reads them
/// back, chain resolution and the retention rule: server-free.
@Suite("incremental base backups: range maps, tar filter, chains, retention")
struct IncrementalBaseBackupModelTests {
    static let rangeSize: UInt64 = 1024

    /// A ustar stream of regular files (mode 0600) and a directory, ended by two zero blocks.
    static func tar(_ files: [(String, [UInt8])], directory: String = "base/") -> [UInt8] {
        var bytes = header(directory, size: 0, type: UInt8(ascii: "5"), mode: "0000700")
        for (name, content) in files {
            bytes += header(name, size: content.count) + content + [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
        }
        return bytes + [UInt8](repeating: 0, count: 1024)
    }

    static func header(_ name: String, size: Int, type: UInt8 = UInt8(ascii: "0"), mode: String = "0000600") -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        for (index, byte) in name.utf8.enumerated() { block[index] = byte }
        for (index, byte) in mode.utf8.enumerated() { block[100 + index] = byte }
        for (index, byte) in String(format: "%011o", size).utf8.enumerated() { block[124 + index] = byte }
        block[156] = type
        for (index, byte) in "ustar\u{0}00".utf8.enumerated() { block[257 + index] = byte }
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        for (index, byte) in String(format: "%06o", sum).utf8.enumerated() { block[148 + index] = byte }
        block[154] = 0
        return block
    }

    /// Runs `tar` through a filter in odd-sized pieces (as a pipe delivers them).
    static func filter(_ tar: [UInt8], reference: RangeMap?) throws -> (output: [UInt8], filter: RangeMapTarFilter) {
        var filter = RangeMapTarFilter(reference: reference, rangeSize: rangeSize)
        var output: [UInt8] = []
        var offset = 0
        var step = 1
        while offset < tar.count {
            let end = min(tar.count, offset + step)
            try tar[offset..<end].withUnsafeBytes { piece in try filter.process(piece) { output.append(contentsOf: $0) } }
            offset = end
            step = step * 3 % 1531 + 7
        }
        return (output, filter)
    }

    static func content(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ seed }
    }

    @Test("a range map encodes, decodes, and refuses a damaged or forged map")
    func rangeMapEncoding() throws {
        let (_, full) = try Self.filter(Self.tar([("base/1/1259", Self.content(2500, seed: 1)), ("PG_VERSION", Array("15\n".utf8))]), reference: nil)
        let map = full.map
        #expect(map.paths == ["base/1/1259", "PG_VERSION"])
        #expect(map.files["base/1/1259"]?.size == 2500)
        #expect(map.rangeCount(size: 2500) == 3)
        let expected = Array(SHA256.hash(data: Self.content(2500, seed: 1)[1024..<2048]))
        #expect(map.hash(of: "base/1/1259", range: 1).map(Array.init) == expected)
        #expect(map.hash(of: "base/1/1259", range: 3) == nil)
        let encoded = map.encoded()
        #expect(try RangeMap.decode(encoded) == map)
        #expect(throws: RangeMapError.self) { try RangeMap.decode(Array(encoded.dropLast(5))) }
        #expect(throws: RangeMapError.self) { try RangeMap.decode(encoded + [0]) }
        var forged = encoded
        forged[16] = 0xff  // a file count larger than the map
        #expect(throws: RangeMapError.self) { try RangeMap.decode(forged) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pra-rangemap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var flipped = encoded
        flipped[flipped.count - 1] ^= 0x01
        FileManager.default.createFile(atPath: path, contents: Data(flipped))
        let error = #expect(throws: RangeMapError.self) { try RangeMap.load(path: path, sha256: SHA256.hash(data: encoded).hex) }
        #expect(error?.reason.contains("does not match the manifest") == true)
    }

    @Test("a full base backup's stream passes unchanged; an incremental stores only changed and new ranges, and its map is the complete new state")
    func incrementalStream() throws {
        let big = Self.content(3000, seed: 2), shrinking = Self.content(2100, seed: 3), same = Self.content(700, seed: 4)
        let oldTar = Self.tar([("base/1/big", big), ("base/1/shrinking", shrinking), ("base/1/same", same), ("base/1/gone", [1, 2, 3]), ("backup_manifest", Array("{}".utf8))])
        let (passed, full) = try Self.filter(oldTar, reference: nil)
        #expect(passed == oldTar)
        #expect(full.storedRanges == 3 + 3 + 1 + 1 + 1)

        var changed = big
        changed[1500] ^= 0xff  // one byte in range 1 of 3
        let grown = changed + Self.content(100, seed: 9)  // and range 2 grows
        let newTar = Self.tar([("base/1/big", grown), ("base/1/shrinking", Array(shrinking.prefix(1024))), ("base/1/same", same),
                               ("base/1/new", Self.content(1500, seed: 5)), ("backup_manifest", Array("{\"a\":1}".utf8))])
        let (output, incremental) = try Self.filter(newTar, reference: full.map)
        // The map describes the whole new state, exactly as a full backup of it would.
        let (_, fullOfNew) = try Self.filter(newTar, reference: nil)
        #expect(incremental.map == fullOfNew.map)
        #expect(incremental.map.files["base/1/gone"] == nil)

        var ranges: [String: [UInt8]] = [:]
        var rest: [UInt8] = []
        var router = IncrementalTarRouter(rangeSize: Self.rangeSize)
        try output.withUnsafeBytes { bytes in
            try router.route(bytes, toTar: { rest.append(contentsOf: $0) }, range: { path, index, content in ranges["\(index)/\(path)"] = content })
        }
        // Of big: range 1 (changed), range 2 (grown to a full range) and range 3 (new); nothing of
        // shrinking (range 0 is the same, the rest is cut) nor of same.
        #expect(Set(ranges.keys) == ["1/base/1/big", "2/base/1/big", "3/base/1/big"])
        #expect(ranges["1/base/1/big"] == Array(grown[1024..<2048]))
        #expect(ranges["2/base/1/big"] == Array(grown[2048..<3072]))
        #expect(ranges["3/base/1/big"] == Array(grown[3072...]))
        #expect(incremental.referencedRanges == 1 + 1 + 1)
        // New files and backup_manifest whole, as ordinary entries; tar sees a valid archive.
        var scanner = TarStreamScanner(keeping: "backup_manifest")
        rest.withUnsafeBytes { scanner.scan($0) }
        #expect(scanner.reachedEnd && scanner.problem == nil && scanner.forbiddenEntry == nil)
        #expect(scanner.keptContent == Array("{\"a\":1}".utf8))
        #expect(scanner.entryCount == 3)  // the directory, new, backup_manifest
        var whole = TarStreamScanner(keeping: "pra-range/1/base/1/big")
        output.withUnsafeBytes { whole.scan($0) }
        #expect(whole.reachedEnd && whole.forbiddenEntry == nil && whole.keptContent == Array(grown[1024..<2048]))
    }

    @Test("a changed range is never left out, even when only its last byte differs")
    func everyChangeStored() throws {
        let original = Self.content(4096, seed: 6)
        let (_, full) = try Self.filter(Self.tar([("base/1/t", original)]), reference: nil)
        for position in [0, 1023, 1024, 4095] {
            var changed = original
            changed[position] ^= 0x80
            let (output, incremental) = try Self.filter(Self.tar([("base/1/t", changed)]), reference: full.map)
            var stored: [Int] = []
            var router = IncrementalTarRouter(rangeSize: Self.rangeSize)
            try output.withUnsafeBytes { try router.route($0, toTar: { _ in }, range: { _, index, _ in stored.append(index) }) }
            #expect(stored == [position / 1024])
            #expect(incremental.storedRanges == 1 && incremental.referencedRanges == 3)
        }
    }

    @Test("the router refuses a malformed or oversized range entry")
    func routerRefusals() {
        for (name, size) in [("pra-range/x/base/1/t", 10), ("pra-range/0/", 10), ("pra-range/0/base/1/t", 2000)] {
            let stream = Self.header(name, size: size) + [UInt8](repeating: 1, count: (size + 511) / 512 * 512)
            var router = IncrementalTarRouter(rangeSize: Self.rangeSize)
            #expect(throws: ChainAssemblyError.self) {
                try stream.withUnsafeBytes { try router.route($0, toTar: { _ in }, range: { _, _, _ in }) }
            }
        }
        #expect(RangeMapTarFilter.parseRangeEntry("pra-range/12/base/5/1259_fsm")! == ("base/5/1259_fsm", 12))
        #expect(RangeMapTarFilter.rangeEntryName(path: String(repeating: "a", count: 95), index: 1) == nil)
    }

    /// A directory of base backup manifests: a full one and incrementals chained on it.
    struct Catalogue {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pra-chain-\(UUID().uuidString)").path

        func manifest(_ stamp: String, start: UInt64, reference: String? = nil) throws -> BaseBackupManifest {
            let archive = "db_backup_base_\(stamp).tar.gz"
            var manifest = BaseBackupManifest(
                database: "db", systemIdentifier: "7", serverVersion: "15", pgBasebackupVersion: "15", startedAt: Date(), finishedAt: Date(),
                archive: archive, compressedBytes: 1, uncompressedBytes: 1, sha256: "x", compressionLevel: 6, timeline: 1,
                startLSN: LogSequenceNumber(start), endLSN: LogSequenceNumber(start + 100), startSegment: "000000010000000000000001",
                endSegment: "000000010000000000000001", postgresManifest: archive + ".backup_manifest", postgresManifestSHA256: "y", fileCount: 1)
            if let reference {
                let path = (directory as NSString).appendingPathComponent(reference + ".manifest.json")
                let referenced = try BaseBackupManifest.load(path: path)
                manifest.incrementalFrom = IncrementalBaseBackupReference(
                    archive: reference, manifestSHA256: SHA256.hash(data: FileManager.default.contents(atPath: path)!).hex,
                    timeline: 1, startLSN: referenced.startLSN, endLSN: referenced.endLSN)
            }
            return manifest
        }

        @discardableResult
        func write(_ stamp: String, start: UInt64, reference: String? = nil) throws -> String {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let manifest = try manifest(stamp, start: start, reference: reference)
            let path = (directory as NSString).appendingPathComponent(manifest.archive)
            FileManager.default.createFile(atPath: path, contents: Data([1]))
            try manifest.encoded().write(to: URL(fileURLWithPath: path + ".manifest.json"))
            return manifest.archive
        }

        func entry(_ archive: String) -> BaseBackupCatalogue.Entry {
            BaseBackupCatalogue(directory: directory).entries.first { $0.name.fileName == archive }!
        }
    }

    @Test("a chain resolves newest first to its full base backup; a missing, altered or later reference breaks it, naming the link")
    func chainResolution() throws {
        let catalogue = Catalogue()
        defer { try? FileManager.default.removeItem(atPath: catalogue.directory) }
        let full = try catalogue.write("20261201_020000", start: 1000)
        let first = try catalogue.write("20261202_020000", start: 2000, reference: full)
        let second = try catalogue.write("20261203_020000", start: 3000, reference: first)
        let entries = BaseBackupCatalogue(directory: catalogue.directory).entries
        let chain = try IncrementalBaseBackupChain.resolve(catalogue.entry(second), among: entries)
        #expect(chain.archives == [second, first, full])

        // The middle link's manifest rewritten: the newest no longer resolves, and names the link.
        let middle = (catalogue.directory as NSString).appendingPathComponent(first + ".manifest.json")
        let original = try Data(contentsOf: URL(fileURLWithPath: middle))
        try (original + Data(" ".utf8)).write(to: URL(fileURLWithPath: middle))
        let altered = #expect(throws: IncrementalBaseBackupChainError.self) {
            try IncrementalBaseBackupChain.resolve(catalogue.entry(second), among: BaseBackupCatalogue(directory: catalogue.directory).entries)
        }
        #expect(altered?.link == second)
        #expect(altered?.reason.contains(first) == true)
        try original.write(to: URL(fileURLWithPath: middle))

        // The full removed: the first incremental's link is broken.
        try FileManager.default.removeItem(atPath: (catalogue.directory as NSString).appendingPathComponent(full + ".manifest.json"))
        try FileManager.default.removeItem(atPath: (catalogue.directory as NSString).appendingPathComponent(full))
        let missing = #expect(throws: IncrementalBaseBackupChainError.self) {
            try IncrementalBaseBackupChain.resolve(catalogue.entry(second), among: BaseBackupCatalogue(directory: catalogue.directory).entries)
        }
        #expect(missing?.link == first)
        #expect(missing?.reason.contains("missing") == true)

        // A reference that ends after the incremental starts is not an ancestor.
        let later = try catalogue.manifest("20261204_020000", start: 50)
        #expect(IncrementalBaseBackupChain.linkProblem(later, reference: catalogue.entry(second).manifest!)?.contains("after it starts") == true)
    }

    @Test("retention keeps every base backup a kept incremental needs, and expires the rest")
    func retentionKeepsChain() throws {
        let catalogue = Catalogue()
        defer { try? FileManager.default.removeItem(atPath: catalogue.directory) }
        let oldFull = try catalogue.write("20261101_020000", start: 500)
        let full = try catalogue.write("20261120_020000", start: 1000)
        let first = try catalogue.write("20261121_020000", start: 2000, reference: full)
        let second = try catalogue.write("20261201_020000", start: 3000, reference: first)
        let complete = BaseBackupCatalogue(directory: catalogue.directory).complete
        let now = try #require(BackupArchiveName(fileName: second, kind: .base)).timestamp.addingTimeInterval(3600)
        // Keep 7 days, at least 1: by age alone only the newest incremental would stay.
        let policy = RetentionPolicy(retentionDays: 7, minimumKept: 1)
        #expect(Set(policy.expired(complete.map(\.name.timestamp), now: now)).count == 3)
        let expired = BaseBackupRetention.expired(complete, policy: policy, now: now)
        let expiredNames = Set(complete.filter { expired.contains($0.name.timestamp) }.map(\.name.fileName))
        #expect(expiredNames == [oldFull])
        #expect(IncrementalBaseBackupChain.needed(by: [catalogue.entry(second)], among: complete) == [second, first, full])
    }
}
