import Foundation
import PRACore
import PRADrillResults
import PRATestSupport
import Testing

@testable import PRADrill

@Suite("RTO and RPO measurement", .requires(.postgresServer))
struct MeasurementTests {
    @Test("RPO lies between disaster − backup end and disaster − workload start, as the runner recorded them; later heartbeats are lost")
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
        let firstWait = result.steps[0], backup = result.steps[1], disaster = result.steps[3]
        // Bounded by the times the runner recorded, whatever the machine's load: the newest
        // heartbeat in the backup was acknowledged before the backup step ended (so RPO is at
        // least disaster − backup end) and after the workload started, before the first step
        // (so RPO is at most disaster − first step start). The disaster is stamped inside its step.
        let backupEnd = backup.startedAt.addingTimeInterval(backup.seconds)
        let lower = disaster.startedAt.timeIntervalSince(backupEnd)
        let upper = disaster.startedAt.addingTimeInterval(disaster.seconds).timeIntervalSince(firstWait.startedAt)
        #expect(rpo >= lower - 0.01, "RPO \(rpo) shorter than disaster − backup end (\(lower)s)")
        #expect(rpo <= upper + 0.01, "RPO \(rpo) longer than disaster − workload start (\(upper)s)")
        #expect(lower > 2, "the 3 s wait lies between the backup and the disaster")
        let written = try #require(result.measurement.heartbeatsWritten), recovered = try #require(result.measurement.heartbeatsRecovered)
        #expect(recovered >= 1, "the backup holds heartbeats")
        #expect(recovered < written, "heartbeats written after the backup are lost")
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
        #expect(check.message?.contains("expected RPO ≤ 0.50s, got") == true)  // the one rounding rule (MeasuredDuration)
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

    @Test("each recovery step measures and judges its own RTO and RPO; the scenario's headline values are the first recovery's (issue 25, item 2)")
    func perStepMeasurement() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-per-step
            workload: {heartbeats_per_second: 20}
            steps:
              - wait: 0.5s
              - backup: {}
                expect: {outcome: success, message_contains: "backup complete: "}
              - wait: 1s
              - disaster: drop-database
              - restore: {target_db: first_copy}
                expect: {outcome: success, rto_max: 3s, rpo_min: 1s}
              - wait: 3s
              - restore: {target_db: second_copy}
                expect: {outcome: success, rto_max: 3s}
            """))
        let first = result.steps[4], second = result.steps[6]
        let firstRTO = try #require(first.rtoSeconds), secondRTO = try #require(second.rtoSeconds)
        #expect(secondRTO >= firstRTO + 3, "the second restore's RTO \(secondRTO) includes the 3 s wait after the first's \(firstRTO)")
        #expect(first.rpoSeconds != nil && second.rpoSeconds != nil)
        #expect(result.measurement.rtoSeconds == firstRTO, "the headline RTO is the first recovery's")
        #expect(result.checks.first { $0.name == "step 5 restore: RTO at most" }?.passed == true, "\(DrillHarness.failures(result))")
        // Judged against its own RTO (over 3 s), not the first restore's.
        let late = try #require(result.checks.first { $0.name == "step 7 restore: RTO at most" })
        #expect(!late.passed, "step 7's RTO bound was judged against another step's measurement: \(late.actual ?? "")")
        // message_contains also sees the human lines the command prints without --json (item 5).
        #expect(result.checks.first { $0.name == "step 2 backup: message contains \"backup complete: \"" }?.passed == true)
        #expect(result.steps[1].messages?.first?.hasPrefix("backup complete: ") == true)
    }

    @Test("a point-in-time recovery to an earlier mark proves no continuous-archiving RPO: no 'proven' projection (issue 25, item 8)")
    func markRecoveryProvesNothing() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-mark-only
            archiving: {archive_timeout: 1s}
            workload: {heartbeats_per_second: 20}
            steps:
              - backup: {kind: base}
              - wait: 1s
              - mark: early
              - wait: 2s
              - disaster: lose-cluster
              - restore: {pitr: early}
                expect: {outcome: success, rpo_min: 1.5s}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        let projections = try #require(result.measurement.projections)
        #expect(projections.archiveTimeoutSeconds == nil, "continuous archiving claimed as proven by a recovery to an early mark")
        let table = DrillRunner.summaryTable(DrillRunResult(runID: "r", toolVersion: "t", host: "h", startedAt: Date(), finishedAt: Date(), seconds: 1, scenarios: [result]))
        #expect(!table.contains("proven"), "\(table)")
    }
}
