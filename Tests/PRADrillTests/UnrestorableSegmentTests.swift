import Foundation
import PRACore
import PRADrillResults
import PRATestSupport
import Testing

@testable import PRACore

/// A recovery to a time past a corrupt archived segment names that segment, not the first
/// one never archived (issue 25, item 4).
@Suite("UnrestorableSegment: the segment that stopped replay", .serialized)
struct UnrestorableSegmentTests {
    @Test("the file PostgreSQL could not restore is read from the server log (the last one)")
    func fromLog() {
        let log = [
            "2026-12-06 18:00:01 UTC [1] LOG:  starting point-in-time recovery to 2026-12-06 18:00:55+00",
            "pra: error: wal get: 000000010000000000000003: corrupt",
            "2026-12-06 18:00:02 UTC [1] FATAL:  could not restore file \"000000010000000000000003\" from archive: command not executable",
        ]
        #expect(UnrestorableSegment.name(in: log) == "000000010000000000000003")
        #expect(UnrestorableSegment.name(in: ["LOG: could not restore file \"not-a-segment\" from archive"]) == nil)
        #expect(UnrestorableSegment.name(in: ["FATAL:  recovery ended before configured recovery target was reached"]) == nil)
    }

    @Test("replay that ended (redo done) before the last archived segment stopped at the next one, which was archived: that one is named")
    func stoppedBeforeArchived() throws {
        let size: UInt64 = 1 << 20
        let last = try #require(WALFileName("000000010000000000000007"))
        // Redo done inside segment 4: segment 5 was archived (7 is the last without a gap) but not replayed.
        let stopped = UnrestorableSegment.stoppedBefore(redoDone: LogSequenceNumber(4 * size + 100), lastContiguous: last, segmentSize: size)
        #expect(stopped?.text == "000000010000000000000005")
        // Redo done in the last archived segment: nothing archived was left unreplayed (the next one is missing).
        #expect(UnrestorableSegment.stoppedBefore(redoDone: LogSequenceNumber(7 * size + 100), lastContiguous: last, segmentSize: size) == nil)
        #expect(UnrestorableSegment.stoppedBefore(redoDone: nil, lastContiguous: last, segmentSize: size) == nil)
    }

    @Test("restore {pitr: mark} past a corrupt segment fails naming the corrupt segment, as pitr: latest does", .requires(.postgresServer))
    func corruptSegmentNamed() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-corrupt-before-target
            archiving: {archive_timeout: 1s}
            workload: {heartbeats_per_second: 10}
            steps:
              - backup: {kind: base}
              - wait: 2s
              - fault: {kind: corrupt-wal-segment, position: 1}
              - wait: 1.5s
              - mark: after-the-damage
              - disaster: lose-cluster
              - restore: {pitr: after-the-damage}
                expect: {outcome: failure}
            """))
        #expect(result.checks.first { $0.name == "step 7 restore: outcome" }?.passed == true, "\(DrillHarness.failures(result))")
        let fault = try #require(result.log.first { $0.contains("of archived WAL segment ") }, "\(result.log)")
        let segment = try #require(fault.split(separator: " ").last.map(String.init))
        let error = try #require(result.steps[6].errorLine, "\(result.log)")
        #expect(error.contains(segment), "the corrupt segment \(segment) is not named: \(error)")
        #expect(!error.contains("is missing"), "\(error)")
    }
}

/// The case the issue reported (item 4): PostgreSQL itself ends replay at an archived segment
/// `pra wal get` served (its content rewritten consistently, its name's SHA-256 recomputed), so
/// no "could not restore file" line names it. Before the fix the error named the first segment
/// never archived ("segment ... is missing").
@Suite("UnrestorableSegment: a segment PostgreSQL read as the end", .serialized)
struct UnrestorableRenamedSegmentTests {
    @Test("restore {pitr: mark} past a consistently rewritten segment names that segment, not the first one never archived", .requires(.postgresServer))
    func renamedSegmentNamed() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-renamed-before-target
            archiving: {archive_timeout: 1s}
            workload: {heartbeats_per_second: 10}
            steps:
              - backup: {kind: base}
              - wait: 2s
              - fault: {kind: corrupt-wal-segment, position: 1, mode: renamed}
              - wait: 1.5s
              - mark: after-the-damage
              - disaster: lose-cluster
              - restore: {pitr: after-the-damage}
                expect: {outcome: failure}
            """))
        #expect(result.checks.first { $0.name == "step 7 restore: outcome" }?.passed == true, "\(DrillHarness.failures(result))")
        let fault = try #require(result.log.first { $0.contains("replaced archived WAL segment ") }, "\(result.log)")
        let segment = try #require(fault.components(separatedBy: "replaced archived WAL segment ").last?.split(separator: " ").first.map(String.init))
        let error = try #require(result.steps[6].errorLine, "\(result.log)")
        #expect(error.contains("archived segment \(segment) "), "the rewritten segment \(segment) is not named: \(error)")
        #expect(!error.contains("is missing"), "\(error)")
    }
}
