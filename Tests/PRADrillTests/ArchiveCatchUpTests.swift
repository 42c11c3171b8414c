import Foundation
import PRACore
import PRADrillResults
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRADrill

/// Undoing a bad transaction that just happened (issue 25, items 1 and 18): `restore --pitr`
/// switches the live server's WAL first when the target lies beyond the archive.
@Suite("ArchiveCatchUp: a point-in-time restore to a moment the archive does not reach yet", .serialized)
struct ArchiveCatchUpTests {
    @Test("needed for a time at or past the newest archived WAL (within the margin), not for an older time nor for latest, LSN or names")
    func isNeeded() {
        let archived = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(ArchiveCatchUp.isNeeded(for: .time(archived.addingTimeInterval(1)), newestArchivedAt: archived))
        #expect(ArchiveCatchUp.isNeeded(for: .time(archived.addingTimeInterval(-5)), newestArchivedAt: archived))
        #expect(ArchiveCatchUp.isNeeded(for: .time(archived), newestArchivedAt: nil))
        #expect(!ArchiveCatchUp.isNeeded(for: .time(archived.addingTimeInterval(-60)), newestArchivedAt: archived))
        #expect(!ArchiveCatchUp.isNeeded(for: .latest, newestArchivedAt: archived))
        #expect(!ArchiveCatchUp.isNeeded(for: .name("x"), newestArchivedAt: archived))
    }

    /// archive_timeout 1h: nothing switches the segment holding the delete, so without the
    /// catch-up every one of these recoveries fails ("segment ... is missing"), not 1 in 10.
    @Test("bad-transaction then restore {pitr: disaster}, three times in a row with the delete still in the open segment: the rows come back every time; the default table works on the fixture",
          .requires(.postgresServer))
    func undoRepeatedly() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-undo-repeatedly
            archiving: {archive_timeout: 3600s}
            env: {CRITICAL_TABLES: "users,payments"}
            steps:
              - backup: {kind: base}
                expect: {outcome: success, archive: complete}
              - disaster: bad-transaction
              - restore: {pitr: disaster}
                expect: {outcome: success, rows_back: true, message_contains: "switched WAL on the server"}
              - disaster: {kind: bad-transaction, table: ledger_entries}
              - restore: {pitr: disaster}
                expect: {outcome: success, rows_back: true}
              - disaster: {kind: bad-transaction, table: public.receipts}
              - restore: {pitr: disaster}
                expect: {outcome: success, rows_back: true}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        // users and payments are referenced by foreign keys: the default is a table nothing references.
        let deleted = try #require(result.log.first { $0.contains("step 2 disaster: bad-transaction: deleted all") }, "\(result.log)")
        #expect(!deleted.contains(" of users ") && !deleted.contains(" of payments "), "\(deleted)")
        #expect(!deleted.contains("deleted all 0 rows"), "\(deleted)")
        #expect(result.log.contains { $0.contains("deleted all") && $0.contains("rows of ledger_entries") })
        #expect(!result.log.contains { $0.contains("deleted all 0 rows") }, "a cycle deleted nothing: \(result.log)")
    }

    @Test("a bad transaction on a table a foreign key references fails the disaster check with PostgreSQL's reason, and rows_back then fails instead of passing",
          .requires(.postgresServer))
    func referencedTable() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-undo-referenced
            archiving: {archive_timeout: 3600s}
            steps:
              - backup: {kind: base}
              - disaster: {kind: bad-transaction, table: payments}
              - restore: {pitr: disaster}
                expect: {rows_back: true}
            """))
        let injected = try #require(result.checks.first { $0.name == "step 2 disaster: bad-transaction injected" }, "\(DrillHarness.failures(result))")
        #expect(!injected.passed)
        #expect(injected.actual?.contains("foreign key") == true, "\(injected.actual ?? "")")
        let rowsBack = try #require(result.checks.first { $0.name == "step 3 restore: rows back" })
        #expect(!rowsBack.passed, "rows_back passed although nothing was deleted")
    }
}
