import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRADrill

/// The faults added so that the catalogue catches a broken integrity check: `wal-push-conflict`
/// (other content under an archived segment's name) and `s3-silent-damage` (a store that
/// confirms nothing and keeps damaged bytes), through the real runner.
@Suite("integrity faults", .serialized, .requires(.postgresServer))
struct IntegrityFaultTests {
    @Test("WALPushConflictFault: pra wal push refuses the changed copy, the archived file stays, and the archive still verifies")
    func walPushConflict() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-wal-push-conflict
            archiving: {archive_timeout: 1s}
            steps:
              - backup: {kind: base}
              - fault: {kind: wal-push-conflict, position: 1}
              - verify: {}
                expect: {outcome: success}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        #expect(result.log.contains { $0.contains("pra wal push refused a changed copy of archived") && $0.contains("already archived with different content") }, "\(result.log)")
    }

    @Test("S3SilentDamageFault: no checksum echoed and a damaged read-back: the copy fails (exit 3) naming the difference, the local backup complete",
          .requires(.seaweedfs))
    func s3SilentDamage() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-s3-silent-damage
            steps:
              - fault: {kind: s3-target}
              - backup: {}
                inject: {kind: s3-silent-damage}
                expect: {exit_code: 3, message_contains: ["remote copy failed", "reads back as", "the object was removed"], archive: complete}
              - backup: {}
                expect: {exit_code: 0, archive: complete}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
    }
}
