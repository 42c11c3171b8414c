import Foundation
import Testing

@testable import PRACore

/// The checks `pra wal push` and `pra verify --wal` apply to timeline history and backup
/// history files: what PostgreSQL writes passes, anything that would move or cut the
/// recoverable window is refused with its line.
@Suite("timeline history and backup history validation")
struct TimelineHistoryValidationTests {
    static func problem(_ timeline: UInt32, _ text: String) -> WALContentProblem? {
        do {
            _ = try TimelineHistory.validated(timeline: timeline, content: Data(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test("PostgreSQL's own history files pass: the copied parent lines, the blank line it writes before its own, comments")
    func genuineHistoryPasses() throws {
        let text = "1\t0/5000A28\tno recovery target specified\n\n2\t0/9000000\tat restore point \"before_delete\"\n# note\n"
        let history = try TimelineHistory.validated(timeline: 3, content: Data(text.utf8))
        #expect(history.timelines == [1, 2, 3])
        #expect(history == TimelineHistory(timeline: 3, text: text))
        #expect(history.entries.last?.begins == LogSequenceNumber("0/9000000"))
    }

    @Test("forged histories are refused with the line: own timeline as parent, parents not increasing, switch points going back, junk, no line, timeline 1, oversized, NUL bytes")
    func forgedHistoryRefused() {
        #expect(Self.problem(2, "1\t0/5000A28\tx\n2\t0/6000000\ty\n")?.line == 2)
        #expect(Self.problem(3, "2\t0/5000A28\tx\n1\t0/6000000\ty\n")?.line == 2)
        #expect(Self.problem(3, "1\t0/5000A28\tx\n\n2\t0/3000000\ty\n")?.line == 3)
        #expect(Self.problem(2, "1\t0/0\tswitch at nothing\n")?.line == 1)
        #expect(Self.problem(2, "one\t0/5000A28\tx\n")?.line == 1)
        #expect(Self.problem(2, "1\tnowhere\tx\n")?.line == 1)
        #expect(Self.problem(2, "1 0/5000A28 spaces, not tabs\n")?.line == 1)
        #expect(Self.problem(2, "")?.reason.contains("no timeline line") == true)
        #expect(Self.problem(2, "# only a comment\n")?.line == nil)
        #expect(Self.problem(1, "1\t0/5000A28\tx\n")?.reason.contains("timeline 1") == true)
        #expect(Self.problem(2, String(repeating: "#", count: TimelineHistory.maximumFileBytes + 1))?.reason.contains("bytes") == true)
        #expect(Self.problem(2, "1\t0/5000A28\tx\u{0}\n")?.reason.contains("NUL") == true)
    }

    static let label = """
        START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
        STOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)
        CHECKPOINT LOCATION: 0/2000060
        BACKUP METHOD: streamed
        BACKUP FROM: primary
        START TIME: 2026-12-01 14:00:00 UTC
        LABEL: pg_basebackup base backup
        START TIMELINE: 1
        STOP TIME: 2026-12-01 14:00:01 UTC
        STOP TIMELINE: 1

        """

    static func labelProblem(_ name: String, _ text: String) -> WALContentProblem? {
        do {
            _ = try BackupHistoryLabel.validated(name: WALFileName(name)!, content: Data(text.utf8), segmentSize: 16 << 20)
            return nil
        } catch {
            return error
        }
    }

    @Test("backup history files: PostgreSQL's passes; a name that is not the start location, stop before start, a checkpoint outside, a missing line, junk are refused")
    func backupLabelChecked() {
        let name = "000000010000000000000002.00000028.backup"
        #expect(Self.labelProblem(name, Self.label) == nil)
        #expect(Self.labelProblem("000000010000000000000007.00000028.backup", Self.label)?.line == 1)
        #expect(Self.labelProblem("000000010000000000000002.00000030.backup", Self.label)?.line == 1)
        #expect(Self.labelProblem(name, Self.label.replacingOccurrences(of: "0/2000100 (file", with: "0/2000000 (file"))?.line == 2)
        #expect(Self.labelProblem(name, Self.label.replacingOccurrences(of: "CHECKPOINT LOCATION: 0/2000060", with: "CHECKPOINT LOCATION: 0/3000060"))?.line == 3)
        #expect(Self.labelProblem(name, Self.label.replacingOccurrences(of: "(file 000000010000000000000002)\nSTOP", with: "(file 000000010000000000000003)\nSTOP"))?.line == 1)
        #expect(Self.labelProblem(name, Self.label.replacingOccurrences(of: "CHECKPOINT LOCATION: 0/2000060\n", with: ""))?.reason.contains("CHECKPOINT LOCATION") == true)
        #expect(Self.labelProblem(name, Self.label + "free text\n")?.line == 11)
        #expect(Self.labelProblem(name, Self.label.replacingOccurrences(of: "STOP TIMELINE: 1", with: "STOP TIMELINE: 2"))?.line != nil)
    }
}
