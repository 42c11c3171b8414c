import Foundation
import Testing

@testable import PRACore

/// The pure decisions of the off-site copy: what is pending, in which order, the lag, the queue
/// limit, and what a segment header must say to be served under a name.
@Suite("off-site WAL queue and checks (no server)")
struct WALSyncQueueTests {
    static func file(_ name: String, sha: Character = "a", at seconds: Double, bytes: UInt64 = 1000) -> WALArchive.File {
        let sha256 = String(repeating: sha, count: 64)
        return WALArchive.File(name: WALFileName(name)!, sha256: sha256, path: "/archive/\(name.prefix(16))/\(name)-\(sha256).gz", compressedBytes: bytes, archivedAt: Date(timeIntervalSince1970: seconds))
    }

    static func offSite(_ files: [WALArchive.File]) -> Set<String> { Set(files.map { ($0.path as NSString).lastPathComponent }) }

    @Test("pending: not off-site, oldest archive time first; older than the oldest off-site segment is not pending (retention removed it), a gap inside is, histories always")
    func pending() {
        let old = Self.file("000000010000000000000001", at: 100)
        let a = Self.file("000000010000000000000002", at: 200)
        let b = Self.file("000000010000000000000003", at: 300)
        let c = Self.file("000000010000000000000004", at: 400)
        let history = Self.file("00000002.history", at: 50)
        let d = Self.file("000000020000000000000004", at: 500)
        let queue = WALSyncQueue(local: [d, c, b, a, old, history], offSite: Self.offSite([a, c]))
        #expect(queue.pending.map(\.name.text) == ["00000002.history", "000000010000000000000003", "000000020000000000000004"])
        #expect(queue.bytes == 3000)
        // Nothing off-site yet: everything is pending, the backfill.
        #expect(WALSyncQueue(local: [b, a], offSite: []).pending.map(\.name.text) == ["000000010000000000000002", "000000010000000000000003"])
        // A file of the same name but other content off-site (another SHA-256) is still pending.
        let other = Self.file("000000010000000000000003", sha: "b", at: 300)
        #expect(WALSyncQueue(local: [a, b], offSite: Self.offSite([a, other])).pending == [b])
    }

    @Test("lag: how long the oldest pending segment has waited, 0 when nothing waits; queue limit 0 means none")
    func lagAndLimit() {
        let a = Self.file("000000010000000000000002", at: 1000, bytes: 600)
        let b = Self.file("000000010000000000000003", at: 1010, bytes: 600)
        let now = Date(timeIntervalSince1970: 1030)
        #expect(WALSyncQueue(local: [a, b], offSite: Self.offSite([a])).lag(now: now) == 20)
        #expect(WALSyncQueue(local: [a, b], offSite: []).lag(now: now) == 30)
        #expect(WALSyncQueue(local: [a, b], offSite: Self.offSite([a, b])).lag(now: now) == 0)
        let queue = WALSyncQueue(local: [a, b], offSite: [])
        #expect(queue.isOverLimit(1000) && !queue.isOverLimit(1200) && !queue.isOverLimit(0))
    }

    @Test("the lag bound when the store cannot be asked grows with the time since the last measurement")
    func lagBound() {
        let record = OffSiteLagRecord(measuredAt: Date(timeIntervalSince1970: 1000), lagSeconds: 5, target: "/x/wal")
        #expect(record.bound(now: Date(timeIntervalSince1970: 1060)) == 65)
        #expect(record.bound(now: Date(timeIntervalSince1970: 900)) == 5)
        // The queue bound: what waited then plus what was archived since.
        var queued = record
        queued.queueBytes = 500
        let before = Self.file("000000010000000000000002", at: 990, bytes: 700)
        let after = Self.file("000000010000000000000003", at: 1010, bytes: 300)
        #expect(queued.queueBound(local: [before, after]) == 800)
    }

    /// A long page header: system id, segment size 16 MiB, block size 8 KiB, timeline, page address.
    static func header(system: UInt64, timeline: UInt32, address: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: WALSegmentHeader.length)
        func put(_ value: UInt64, at offset: Int, size: Int) { for i in 0..<size { bytes[offset + i] = UInt8((value >> (8 * UInt64(i))) & 0xff) } }
        put(0xD113, at: 0, size: 2)
        put(0x0002, at: 2, size: 2)
        put(UInt64(timeline), at: 4, size: 4)
        put(address, at: 8, size: 8)
        put(system, at: 24, size: 8)
        put(16 << 20, at: 32, size: 4)
        put(8192, at: 36, size: 4)
        return bytes
    }

    @Test("an off-site segment is served under its name only when its header names this system, its position and a timeline no later than the name's")
    func headerMismatch() throws {
        let size: UInt64 = 16 << 20
        let name = WALFileName(timeline: 2, segmentNumber: 0x25, segmentSize: size)
        let identity = WALArchive.Identity(systemIdentifier: "42", segmentSize: size, createdAt: Date())
        func problem(_ bytes: [UInt8], _ name: WALFileName, bytesIn: UInt64 = 16 << 20) -> String? {
            RemoteWALArchive.contentProblem(of: name, header: bytes, content: Data(), bytes: bytesIn, identity: identity)
        }
        #expect(problem(Self.header(system: 42, timeline: 2, address: 0x25 * size), name) == nil)
        // The first segment of timeline 2 begins with its parent's page: timeline 1 in the header is fine.
        #expect(problem(Self.header(system: 42, timeline: 1, address: 0x25 * size), name) == nil)
        #expect(problem(Self.header(system: 43, timeline: 2, address: 0x25 * size), name)?.contains("database system 43") == true)
        #expect(problem(Self.header(system: 42, timeline: 2, address: 0x26 * size), name)?.contains("starts at") == true)
        #expect(problem(Self.header(system: 42, timeline: 3, address: 0x25 * size), name)?.contains("timeline 3") == true)
        #expect(problem(Self.header(system: 42, timeline: 2, address: 0x25 * size), name, bytesIn: 1 << 20)?.contains("bytes") == true)
        #expect(problem([1, 2, 3], name)?.contains("not a WAL segment") == true)
    }

    @Test("WAL_REMOTE_MODE and WAL_REMOTE_QUEUE_LIMIT are parsed strictly, with their defaults")
    func settings() throws {
        let defaults = try Configuration(envFile: "/dev/null", environment: [:])
        #expect(try WALSyncOperation.isAsynchronous(defaults) == false)
        #expect(try WALSyncOperation.queueLimit(defaults) == 1 << 30)
        let set = try Configuration(envFile: "/dev/null", environment: ["WAL_REMOTE_MODE": "async", "WAL_REMOTE_QUEUE_LIMIT": "512MiB"])
        #expect(try WALSyncOperation.isAsynchronous(set) && WALSyncOperation.queueLimit(set) == 512 << 20)
        let wrong = try Configuration(envFile: "/dev/null", environment: ["WAL_REMOTE_MODE": "later", "WAL_REMOTE_QUEUE_LIMIT": "lots"])
        #expect(throws: ConfigurationError.self) { _ = try WALSyncOperation.isAsynchronous(wrong) }
        #expect(throws: ConfigurationError.self) { _ = try WALSyncOperation.queueLimit(wrong) }
    }
}
