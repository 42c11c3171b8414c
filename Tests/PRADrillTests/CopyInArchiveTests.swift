import Foundation
import PRADrill
import PRADrillResults
import PRATestSupport
import Testing

/// `copy_in_archive` (issue 25, mutant pitr-copy-keeps-archiving): whether a copy recovered by a
/// point-in-time restore sent its own timeline into production's WAL archive, judged after the
/// drill switched the copy's WAL, not left to whether the idle copy happened to archive.
@Suite("copy_in_archive: a recovered copy's timeline in the WAL archive", .serialized)
struct CopyInArchiveTests {
    @Test("copy_in_archive loads on pitr restores only")
    func loads() throws {
        let scenario = try DrillHarness.parse("""
            name: t-copy-loads
            archiving: {archive_timeout: 1s}
            steps:
              - backup: {kind: base}
              - restore: {pitr: latest}
                expect: {copy_in_archive: false}
            """)
        #expect(scenario.steps[1].expect.copyInArchive == false)
        #expect(throws: (any Error).self) {
            try DrillHarness.parse("name: t\nsteps:\n  - backup: {}\n  - restore: {}\n    expect: {copy_in_archive: false}\n")
        }
    }

    @Test("a copy recovered by pra restore --pitr leaves nothing of its timeline in the archive; expecting the opposite fails", .requires(.postgresServer))
    func copyStaysOut() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-copy-stays-out
            archiving: {archive_timeout: 1s}
            workload: {heartbeats_per_second: 10}
            steps:
              - backup: {kind: base}
              - wait: 1s
              - mark: here
              - wait: 1s
              - restore: {pitr: here}
                expect: {outcome: success, copy_in_archive: false}
              - restore: {pitr: here}
                expect: {outcome: success, copy_in_archive: true}
            """))
        let stayedOut = try #require(result.checks.first { $0.name == "step 5 restore: copy in archive" }, "\(result.checks.map(\.name))")
        #expect(stayedOut.passed, "\(DrillHarness.failures(result))")
        #expect(stayedOut.actual?.contains("no file of timeline") == true, "\(stayedOut)")
        #expect(stayedOut.actual?.contains("archive_mode = off") == true, "\(stayedOut)")
        // The same copy judged against the opposite expectation: the check can fail.
        let opposite = try #require(result.checks.first { $0.name == "step 6 restore: copy in archive" })
        #expect(!opposite.passed)
        #expect(opposite.message?.contains("expected the recovered copy's timeline in the WAL archive") == true, "\(opposite)")
    }
}
