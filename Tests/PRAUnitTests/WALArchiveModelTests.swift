import Foundation
import Testing

@testable import PRACore

@Suite("WAL archive model: names, headers, timelines, continuity")
struct WALArchiveModelTests {
    @Test("WAL file names: segments, history, backup labels and partial segments; anything else refused")
    func names() throws {
        let segment = try #require(WALFileName("0000000200000001000000FF"))
        #expect(segment.kind == .segment)
        #expect(segment.timeline == 2)
        #expect(segment.segmentNumber(segmentSize: 16 << 20) == 256 + 255)
        #expect(segment.directoryName == "0000000200000001")
        #expect(WALFileName(timeline: 2, segmentNumber: 511, segmentSize: 16 << 20) == segment)
        #expect(WALFileName("00000003.history")?.kind == .history)
        #expect(WALFileName("00000003.history")?.directoryName == "timelines")
        #expect(WALFileName("000000010000000000000002.00000028.backup")?.kind == .backupLabel)
        #expect(WALFileName("000000010000000000000005.partial")?.kind == .partial)
        for bad in ["../../etc/passwd", "0000000100000000000000", "00000001000000000000000g", "000000010000000000000002.backup", "x.history", ""] {
            #expect(WALFileName(bad) == nil, "\(bad)")
        }
        #expect(LogSequenceNumber("16/B374D848")?.value == 0x16_B374_D848)
        #expect(LogSequenceNumber("0/3000000")?.description == "0/3000000")
        #expect(LogSequenceNumber("nope") == nil)
        #expect(WALFileName.segment(containing: LogSequenceNumber("1/3000028")!, timeline: 1, segmentSize: 16 << 20).text == "000000010000000100000003")
    }

    @Test("segment header: system identifier and segment size read; a page that is not a segment start refused")
    func header() {
        var bytes = [UInt8](repeating: 0, count: 40)
        bytes[2] = 0x02  // XLP_LONG_HEADER
        let system: UInt64 = 7_314_849_219_033_417_011
        for index in 0..<8 { bytes[24 + index] = UInt8((system >> (8 * UInt64(index))) & 0xff) }
        bytes[32 + 3] = 0x01  // 16 MiB, little-endian
        bytes[36 + 1] = 0x20  // 8 KiB blocks
        let parsed = try? WALSegmentHeader.parse(bytes).get()
        #expect(parsed == WALSegmentHeader(systemIdentifier: system, segmentSize: 16 << 20))
        var shortHeader = bytes
        shortHeader[2] = 0
        #expect((try? WALSegmentHeader.parse(shortHeader).get()) == nil)
        var oddSize = bytes
        oddSize[32] = 7
        #expect((try? WALSegmentHeader.parse(oddSize).get()) == nil)
        #expect((try? WALSegmentHeader.parse(Array(bytes.prefix(20))).get()) == nil)
    }

    @Test("timeline history: the segment holding a switch point is read from the new timeline")
    func history() {
        let history = TimelineHistory(timeline: 3, text: "1\t0/5000A28\tno recovery target specified\n\n2\t0/9000000\tat restore point\n")
        #expect(history.timelines == [1, 2, 3])
        let size: UInt64 = 16 << 20
        #expect(history.timeline(forSegment: 4, segmentSize: size) == 1)
        #expect(history.timeline(forSegment: 5, segmentSize: size) == 2)
        #expect(history.timeline(forSegment: 8, segmentSize: size) == 2)
        #expect(history.timeline(forSegment: 9, segmentSize: size) == 3)
    }

    static func file(_ name: String, minutesAgo: Double = 0) -> WALArchive.File {
        WALArchive.File(name: WALFileName(name)!, sha256: String(repeating: "0", count: 64), path: "/nowhere/\(name)", compressedBytes: 1, archivedAt: Date().addingTimeInterval(-minutesAgo * 60))
    }

    @Test("continuity: the last segment reached without a gap, and the gap when later segments exist")
    func continuity() {
        let size: UInt64 = 16 << 20
        let start = WALFileName("000000010000000000000002")!
        let complete = ["000000010000000000000002", "000000010000000000000003", "000000010000000000000004"].map { Self.file($0) }
        let unbroken = WALContinuity(files: complete, start: start, segmentSize: size) { TimelineHistory(rootTimeline: $0) }
        #expect(unbroken.lastContiguous?.name.text == "000000010000000000000004")
        #expect(unbroken.gap == nil)
        #expect(unbroken.covers(WALFileName("000000010000000000000003")!, segmentSize: size))
        #expect(!unbroken.covers(WALFileName("000000010000000000000005")!, segmentSize: size))

        let holed = complete.filter { $0.name.text != "000000010000000000000003" }
        let broken = WALContinuity(files: holed, start: start, segmentSize: size) { TimelineHistory(rootTimeline: $0) }
        #expect(broken.lastContiguous?.name.text == "000000010000000000000002")
        #expect(broken.gap?.text == "000000010000000000000003")
        #expect(broken.newest?.name.text == "000000010000000000000004")

        // After a promotion at 0/4000100, timeline 2 holds segment 4 onwards.
        let switched = complete.prefix(2) + [Self.file("000000020000000000000004"), Self.file("000000020000000000000005"), Self.file("00000002.history")]
        let followed = WALContinuity(files: Array(switched), start: start, segmentSize: size) { timeline in
            timeline == 2 ? TimelineHistory(timeline: 2, text: "1\t0/4000100\tpromoted\n") : TimelineHistory(rootTimeline: timeline)
        }
        #expect(followed.timelines == [1, 2])
        #expect(followed.lastContiguous?.name.text == "000000020000000000000005")
        #expect(followed.gap == nil)
    }

    @Test("archive file names carry the content hash; a foreign name is not an archived file")
    func archiveNames() {
        let sha = String(repeating: "ab", count: 32)
        let name = WALFileName("000000010000000000000007")!
        let fileName = WALArchive.fileName(name, sha256: sha, codec: .gzip)
        #expect(fileName == "000000010000000000000007-\(sha).gz")
        #expect(WALArchive.parse(fileName: fileName)?.name == name)
        #expect(WALArchive.parse(fileName: fileName)?.sha256 == sha)
        #expect(WALArchive.parse(fileName: "000000010000000000000007.gz") == nil)
        #expect(WALArchive.parse(fileName: ".000000010000000000000007.gz.partial") == nil)
    }

    @Test("shell words for archive_command: safe words bare, others quoted, % doubled, conf string quoted")
    func commandLines() {
        let command = ShellCommandLine.postgresCommand([.literal("/opt/my pra/pra"), "wal", "push", .placeholder("%p"), "--backup-dir", .literal("/srv/50%'s")])
        #expect(command == "'/opt/my pra/pra' wal push %p --backup-dir '/srv/50%%'\\''s'")
        #expect(ShellCommandLine.configurationValue("it's") == "'it''s'")
        #expect(RecoveryTarget.parseTime("2026-12-01T14:01:30Z") == Date(timeIntervalSince1970: 1_796_133_690))
        #expect(RecoveryTarget.parseTime("2026-12-01T14:01:30.500+01:00") == Date(timeIntervalSince1970: 1_796_130_090.5))
        #expect(RecoveryTarget.parseTime("yesterday") == nil)
        #expect(RecoveryTarget.postgresFormat(Date(timeIntervalSince1970: 1_796_133_690.25)) == "2026-12-01 14:01:30.250000+00")
        #expect(PointInTimeRestoreOperation.parsePostgresTimestamp("2026-12-01 14:01:30.25+00") == Date(timeIntervalSince1970: 1_796_133_690.25))
    }

    @Test("a failed recovery's reason: the startup process's FATAL, not the refusal of a connection logged after it")
    func recoveryFailureReason() {
        // The order seen in CI: pra's polling connection was refused just after the startup process failed.
        let log = [
            "2026-12-02 01:11:07.400 UTC [5760]  LOG:  redo done at 0/5000060",
            "2026-12-02 01:11:07.412 UTC [5760]  FATAL:  recovery ended before configured recovery target was reached",
            "2026-12-02 01:11:07.414 UTC [5782] [unknown] FATAL:  the database system is in recovery mode",
            "2026-12-02 01:11:07.416 UTC [5759]  LOG:  shutting down due to startup process failure",
        ]
        #expect(PointInTimeRestoreOperation.failureReason(in: log) == "recovery ended before configured recovery target was reached")
        #expect(PointInTimeRestoreOperation.failureReason(in: ["x PANIC:  could not locate a valid checkpoint record"]) == "could not locate a valid checkpoint record")
        #expect(PointInTimeRestoreOperation.failureReason(in: [log[2], log[3]]) == nil)
    }

    @Test("tar scanner: entries counted, one entry's content kept, the end marker required")
    func tarScanner() throws {
        func header(_ name: String, size: Int) -> [UInt8] {
            var block = [UInt8](repeating: 0, count: 512)
            for (index, byte) in name.utf8.enumerated() { block[index] = byte }
            for (index, byte) in String(format: "%011o", size).utf8.enumerated() { block[124 + index] = byte }
            block[156] = UInt8(ascii: "0")
            return block
        }
        let content = Array("{\"WAL-Ranges\": []}".utf8)
        var tar = header("base/1/1234", size: 600) + [UInt8](repeating: 7, count: 1024)
        tar += header("backup_manifest", size: content.count) + content + [UInt8](repeating: 0, count: 512 - content.count)
        var scanner = TarStreamScanner(keeping: "backup_manifest")
        tar.withUnsafeBytes { scanner.scan($0) }
        #expect(!scanner.reachedEnd)
        let end = [UInt8](repeating: 0, count: 1024)
        // Fed in odd-sized pieces, as a pipe delivers them.
        end.withUnsafeBytes { buffer in
            scanner.scan(UnsafeRawBufferPointer(rebasing: buffer[0..<7]))
            scanner.scan(UnsafeRawBufferPointer(rebasing: buffer[7...]))
        }
        #expect(scanner.reachedEnd)
        #expect(scanner.entryCount == 2)
        #expect(scanner.keptContent == content)
        #expect(scanner.problem == nil)
    }
}
