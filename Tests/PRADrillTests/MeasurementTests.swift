import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRADrill

@Suite("RTO and RPO measurement", .requires(.postgresServer))
struct MeasurementTests {
    @Test("RPO equals the real gap between the backup's snapshot and the disaster, within one heartbeat interval")
    func rpoEqualsRealGap() throws {
        let rate = 10.0
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-rpo
            workload: {heartbeats_per_second: \(rate)}
            steps:
              - wait: 1s
              - backup: {}
              - wait: 3s
              - disaster: drop-database
              - restore: {}
                expect: {outcome: success}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        let rpo = try #require(result.measurement.rpoSeconds)
        let backup = result.steps[1], disaster = result.steps[3]
        // The snapshot is taken just after the backup step starts; the newest heartbeat in it
        // was acknowledged at most one interval before that.
        let gap = disaster.startedAt.timeIntervalSince(backup.startedAt)
        #expect(rpo >= gap - 0.5, "RPO \(rpo) shorter than the real gap \(gap)")
        #expect(rpo <= gap + 1 / rate + 0.1, "RPO \(rpo) longer than the real gap \(gap) plus one interval")
        #expect((result.measurement.heartbeatsWritten ?? 0) >= 35)
        #expect((result.measurement.heartbeatsRecovered ?? 0) >= 5)
        #expect((result.measurement.heartbeatsRecovered ?? 0) < (result.measurement.heartbeatsWritten ?? 0))
        #expect(result.checks.contains { $0.name == "RPO within target" && $0.passed })
    }

    @Test("a target that is missed fails the scenario with expected vs actual")
    func missedTarget() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-missed
            targets: {rpo: 0.5s, rto: 30m}
            workload: {heartbeats_per_second: 20}
            steps:
              - backup: {}
              - wait: 1.5s
              - disaster: drop-database
              - restore: {}
            """))
        #expect(result.verdict == .failed)
        let check = try #require(result.checks.first { $0.name == "RPO within target" })
        #expect(!check.passed)
        #expect(check.message?.contains("expected RPO ≤ 0.5s, got") == true)
        #expect(result.checks.first { $0.name == "RTO within target" }?.passed == true)
    }

    @Test("projections use PRODUCTION_DB_SIZE and BACKUP_INTERVAL and are labelled apart from measurements")
    func projections() throws {
        var options = DrillHarness.options()
        options.productionDatabaseBytes = 50 * 1024 * 1024 * 1024
        options.backupInterval = 3600
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-projection
            steps:
              - backup: {}
              - disaster: drop-database
              - restore: {}
            """), options: options)
        let projections = try #require(result.measurement.projections)
        let rate = try #require(projections.restoreBytesPerSecond)
        #expect(rate > 0)
        #expect(abs((projections.projectedRTOSeconds ?? 0) - 50 * 1024 * 1024 * 1024 / rate) < 0.001)
        let backup = try #require(projections.backupSeconds)
        #expect(abs((projections.worstCaseRPOSeconds ?? 0) - (3600 + backup)) < 0.001)
        let table = DrillRunner.summaryTable(DrillRunResult(runID: "r", toolVersion: "t", host: "h", startedAt: Date(), finishedAt: Date(), seconds: 1, scenarios: [result]))
        #expect(table.contains("projections (not measurements)"))
    }
}
