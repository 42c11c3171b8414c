import Crypto
import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The libdeflate fast path of `pra wal get` for gzip segments: it inflates only what is whole
/// and well formed, and anything else goes to the streaming reader, whose errors (and their
/// wording) stay what they were.
@Suite("whole-file gzip inflation: valid files only, damage left to the streaming reader")
struct WholeGzipInflaterTests {
    let content = CRC32CTests.bytes(3 << 20, seed: 5).map { $0 & 0x0F }  // compressible, like WAL

    static func inflate(_ compressed: [UInt8], capacity: Int) -> [UInt8]? {
        guard let inflater = WholeGzipInflater() else { return nil }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { output.deallocate() }
        guard let count = compressed.withUnsafeBytes({ inflater.inflate($0, into: output) }) else { return nil }
        return Array(output[0..<count])
    }

    @Test("one member, several members, and an empty member inflate exactly; damage, a cut, trailing bytes, too little room or nothing give nil")
    func inflater() throws {
        let gzip = try CodecNamingTests.compressed(content, .gzip)
        #expect(Self.inflate(gzip, capacity: 4 << 20) == content)
        let second = try CodecNamingTests.compressed(Array(content.prefix(1000)), .gzip)
        let empty = try CodecNamingTests.compressed([], .gzip)
        #expect(Self.inflate(gzip + empty + second, capacity: 4 << 20) == content + content.prefix(1000))

        var flipped = gzip
        flipped[flipped.count / 2] ^= 0x10
        #expect(Self.inflate(flipped, capacity: 4 << 20) == nil)
        #expect(Self.inflate(Array(gzip.dropLast(3)), capacity: 4 << 20) == nil)
        #expect(Self.inflate(gzip + [0, 0, 0, 0], capacity: 4 << 20) == nil)
        #expect(Self.inflate(gzip, capacity: 1 << 20) == nil)
        #expect(Self.inflate([], capacity: 1 << 20) == nil)
        #expect(Self.inflate(try CodecNamingTests.compressed(content, .zstd), capacity: 4 << 20) == nil)
    }

    @Test("for recovery, the WAL archive reads a gzip segment whole and checks its SHA-256 before the sink sees a byte; a damaged one is reported by the streaming reader as before")
    func archiveRead() throws {
        let directory = TestEnvironment.temporaryDirectory("whole-gzip")
        let archive = WALArchive(backupDirectory: directory)
        let name = try #require(WALFileName("000000010000000000000009"))
        let gzip = try CodecNamingTests.compressed(content, .gzip)
        let path = try LocalWALFetcherTests.put(name, content, in: archive, stored: gzip)
        let file = try #require(try archive.find(name))

        var calls = 0
        var back: [UInt8] = []
        #expect(try archive.readWhole(file) { back += $0; calls += 1 } == UInt64(content.count))
        #expect(back == content && calls == 1, "read whole, in one piece")

        // Cut short: the fast path declines and the stream names the damage as it always did.
        try Data(gzip.prefix(gzip.count - 100)).write(to: URL(fileURLWithPath: path))
        let cut = try #require(try archive.find(name))
        #expect(try archive.readWhole(cut) { _ in } == nil)
        do {
            _ = try archive.read(cut, forRecovery: true) { _ in }
            Issue.record("a cut segment was read")
        } catch let error as WALArchiveError {
            #expect("\(error)".contains("truncated"), "\(error)")
        }

        // Whole and well formed but not what the name promises: refused before the sink sees it.
        let other = try CodecNamingTests.compressed(Array(content.reversed()), .gzip)
        try Data(other).write(to: URL(fileURLWithPath: path))
        let lying = try #require(try archive.find(name))
        var seen = 0
        #expect(throws: WALArchiveError.self) { _ = try archive.read(lying, forRecovery: true) { seen += $0.count } }
        #expect(seen == 0)
    }
}
