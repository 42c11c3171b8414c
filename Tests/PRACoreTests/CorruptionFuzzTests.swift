import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The corruption campaign of issue 9: seeded corruptions of a real archive and its manifest
/// (bit flips, byte runs, truncations, insertions, gzip header and trailer edits, extra gzip
/// members, zeroed blocks, manifest edits). `pra verify` must reject every one, and no restore
/// may create its target from any of them.
///
/// Short mode (the test suite): 200 cases, every 25th also restored. Long mode:
/// `scripts/fuzz-corruption.sh` (PRA_FUZZ_CASES=1000, PRA_FUZZ_RESTORE_EVERY=10).
@Suite("corruption fuzz campaign", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct CorruptionFuzzTests {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var cases: Int { Int(environment["PRA_FUZZ_CASES"] ?? "") ?? 200 }
    static var restoreEvery: Int { max(1, Int(environment["PRA_FUZZ_RESTORE_EVERY"] ?? "") ?? 25) }
    static var seed: UInt64 { UInt64(environment["PRA_FUZZ_SEED"] ?? "") ?? 20261201 }

    /// splitmix64: the same seed gives the same campaign.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    static let kinds = ["bit flips", "byte run", "truncation", "insertion", "gzip header edit", "gzip trailer edit", "extra gzip member", "zeroed block", "manifest edit"]

    /// Applies corruption number `kind` to the archive bytes or the manifest; returns a description.
    static func corrupt(kind: Int, archive: inout [UInt8], manifest: inout BackupManifest?, random: inout Random) -> String {
        let size = archive.count
        switch kind {
        case 0:
            let count = 1 + random.below(8)
            for _ in 0..<count {
                archive[random.below(size)] ^= UInt8(1 << random.below(8))
            }
            return "\(count) bit flip(s)"
        case 1:
            let length = 1 + random.below(64)
            let start = random.below(size - length)
            let run = random.bytes(length)
            var changed = false
            for offset in 0..<length {
                changed = changed || archive[start + offset] != run[offset]
                archive[start + offset] = run[offset]
            }
            if !changed { archive[start] ^= 0xFF }
            return "\(length) random bytes at \(start)"
        case 2:
            let keep = random.below(size)
            archive.removeSubrange(keep...)
            return "truncated to \(keep) bytes"
        case 3:
            let length = 1 + random.below(64)
            let at = random.below(size + 1)
            archive.insert(contentsOf: random.bytes(length), at: at)
            return "\(length) bytes inserted at \(at)"
        case 4:
            let position = random.below(10)
            archive[position] ^= UInt8(1 + random.below(255))
            return "gzip header byte \(position) changed"
        case 5:
            let position = size - 8 + random.below(8)
            archive[position] ^= UInt8(1 + random.below(255))
            return "gzip trailer byte \(position - (size - 8)) changed"
        case 6:
            archive += CorruptionFuzzTests.extraMember
            return "extra gzip member appended"
        case 7:
            let length = 1 + random.below(4096)
            let start = random.below(max(1, size - length))
            var changed = false
            for offset in start..<min(size, start + length) {
                changed = changed || archive[offset] != 0
                archive[offset] = 0
            }
            if !changed { archive[start] = 1 }
            return "\(length) bytes zeroed at \(start)"
        default:
            guard var edited = manifest else { return "no manifest" }
            switch random.below(6) {
            case 0:
                var digits = Array(edited.sha256)
                let index = random.below(digits.count)
                digits[index] = digits[index] == "0" ? "1" : "0"
                edited.sha256 = String(digits)
                manifest = edited
                return "manifest sha256 digit \(index) changed"
            case 1:
                let delta = UInt64(1 + random.below(1000))
                edited.compressedBytes = random.below(2) == 0 ? edited.compressedBytes + delta : edited.compressedBytes - min(delta, edited.compressedBytes)
                manifest = edited
                return "manifest compressedBytes changed"
            case 2:
                edited.uncompressedBytes += UInt64(1 + random.below(1000))
                manifest = edited
                return "manifest uncompressedBytes changed"
            case 3:
                manifest = nil
                return "manifest deleted"
            case 4:
                if edited.restrictKey != nil {
                    edited.restrictKey = "Forged" + String(random.next(), radix: 36)
                } else {
                    edited.sha256 = String(edited.sha256.reversed())
                }
                manifest = edited
                return "manifest restrictKey (or checksum) forged"
            default:
                edited.compressedBytes = 0
                manifest = edited
                return "manifest compressedBytes zeroed"
            }
        }
    }

    /// A second, valid gzip member (`SELECT 1;`).
    static let extraMember: [UInt8] = {
        var output: [UInt8] = []
        let deflater = try! GzipDeflater(level: 6)
        let text = Array("SELECT 1;\n".utf8)
        try! text.withUnsafeBytes { buffer in try deflater.compress(buffer) { output += $0 } }
        try! deflater.finish { output += $0 }
        return output
    }()

    @Test("seeded corruptions: verify rejects every one, no restore creates its target")
    func campaign() throws {
        let database = try TestEnvironment.fixtureDatabase("fuzz", scale: 0.01)
        let source = TestEnvironment.temporaryDirectory("fuzzsrc")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: source)
        let backup = try BackupOperation(configuration: configuration).run()
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: backup.archive)))
        let originalManifest = try BackupManifest.load(path: backup.manifest)
        let name = (backup.archive as NSString).lastPathComponent

        var random = Random(state: Self.seed)
        let started = Date()
        var caught = 0
        var restored = 0
        var missed: [String] = []
        var perKind = [Int](repeating: 0, count: Self.kinds.count)
        for index in 0..<Self.cases {
            let kind = index % Self.kinds.count
            var archive = original
            var manifest: BackupManifest? = originalManifest
            let what = Self.corrupt(kind: kind, archive: &archive, manifest: &manifest, random: &random)
            let directory = TestEnvironment.temporaryDirectory("fuzz")
            let path = directory + "/" + name
            try Data(archive).write(to: URL(fileURLWithPath: path))
            if let manifest { try manifest.encoded().write(to: URL(fileURLWithPath: path + BackupArchiveName.manifestSuffix)) }
            let verdict = ArchiveVerifier().verify(archivePath: path, manifestPath: path + BackupArchiveName.manifestSuffix, requireManifest: true)
            if verdict.valid {
                missed.append("case \(index) (\(what))")
            } else {
                caught += 1
                perKind[kind] += 1
            }
            if index % Self.restoreEvery == 0 {
                restored += 1
                let target = "fz_" + UUID().uuidString.prefix(8).lowercased()
                let local = try TestEnvironment.configuration(database: database, backupDirectory: directory)
                let result = try RestoreOperation(configuration: local).run(source: .latest, targetDatabase: target)
                #expect(!result.succeeded, "case \(index) (\(what)) restored")
                #expect(try TestEnvironment.psql("SELECT count(*) FROM pg_database WHERE datname = '\(target)'", database: "postgres") == "0", "case \(index) (\(what)) created its target")
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
        let seconds = Date().timeIntervalSince(started)
        let summary = "corruption fuzz: seed \(Self.seed), \(Self.cases) cases tried, \(caught) caught by verify (\(String(format: "%.1f", Double(caught) * 100 / Double(max(1, Self.cases))))%), \(restored) also restored (none created its target), \(String(format: "%.1f", seconds)) s; per kind: " + zip(Self.kinds, perKind).map { "\($0) \($1)" }.joined(separator: ", ")
        print(summary)
        if let report = Self.environment["PRA_FUZZ_REPORT"] { try? Data((summary + "\n").utf8).write(to: URL(fileURLWithPath: report)) }
        #expect(missed.isEmpty, "verify accepted: \(missed.prefix(10))")
        #expect(caught == Self.cases)
    }
}
