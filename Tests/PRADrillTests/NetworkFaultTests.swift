import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRADrill

/// The network fault kinds through the real runner: each scenario's `pra` steps go through the
/// runner's proxy, which the faults degrade.
@Suite("network faults", .serialized, .requires(.postgresServer))
struct NetworkFaultTests {
    @Test("every pra step goes through the runner's proxy; its traffic is logged")
    func stepsGoThroughTheProxy() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-net-proxy
            steps:
              - backup: {}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        let line = try #require(result.log.first { $0.contains("network proxy:") }, "\(result.log)")
        #expect(!line.contains("0 connection(s)") && line.contains("down"), "\(line)")
        #expect(result.log.contains { $0.contains("projected worst-case RPO BACKUP_INTERVAL") })
    }

    @Test("network-latency slows every round trip: seconds_max catches a status that got slow")
    func latencyFailsATimeBound() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-net-latency
            env: {DISK_WARN_PERCENT: "0", DISK_CRITICAL_PERCENT: "0"}
            steps:
              - backup: {}
              - status: {}
                inject: {kind: network-latency, delay: 0.3s, direction: downstream}
                expect: {status: OK, seconds_max: 0.5s}
              - status: {}
                expect: {status: OK, seconds_max: 30s}
            """))
        #expect(result.verdict == .failed)
        let timed = result.checks.filter { $0.name.hasSuffix("answered in time") }
        #expect(timed.count == 2)
        // Connecting and the status queries take several round trips of 0.3 s each.
        #expect(timed.first?.passed == false, "\(timed)")
        #expect(timed.last?.passed == true, "the latency was not undone after its step: \(timed)")
        #expect(result.checks.filter { !$0.passed }.count == 1, "\(DrillHarness.failures(result))")
    }

    @Test("network-bandwidth: a backup through a 256 KiB/s link takes at least its bytes over the rate")
    func bandwidthSlowsABackup() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-net-bandwidth
            steps:
              - backup: {}
              - backup: {}
                inject: {kind: network-bandwidth, rate: 256KiB, direction: downstream}
                expect: {outcome: success, archive: complete}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        let fast = try #require(result.steps.first?.seconds)
        let slow = try #require(result.steps.last?.seconds)
        // The fixture's dump at scale 0.02 is well over 256 KiB: at least a second at that rate.
        #expect(slow > 1 && slow > fast, "backup took \(slow) s through the slow link, \(fast) s without")
    }

    @Test("network-reset mid-restore fails the restore with the lost connection; the retry restores every row")
    func resetDuringRestore() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-net-reset
            scale: 0.05
            steps:
              - backup: {}
              - restore: {target_db: akig_copy}
                inject: {kind: network-reset, bytes: 256KiB}
                expect: {outcome: failure, exit_code: 1, message_contains: "restore failed"}
              - restore: {target_db: akig_copy}
                expect: {outcome: success, rows_match_manifest: true}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        #expect(result.log.contains { $0.contains("reset 1 time(s)") }, "\(result.log)")
    }

    @Test("network-partition: status is CRITICAL within PGCONNECT_TIMEOUT, and OK once the partition is undone")
    func partitionDuringStatus() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-net-partition
            env: {PGCONNECT_TIMEOUT: "2", DISK_WARN_PERCENT: "0", DISK_CRITICAL_PERCENT: "0"}
            steps:
              - backup: {}
              - status: {}
                inject: {kind: network-partition}
                expect: {outcome: failure, exit_code: 1, status: CRITICAL, message_contains: "timeout expired", seconds_max: 4s}
              - status: {}
                expect: {exit_code: 0, status: OK}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
    }

    @Test("network-partition mid-backup: BACKUP_TIMEOUT stops pg_dump, nothing partial is left, the next backup succeeds")
    func partitionDuringBackup() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-net-partition-backup
            scale: 1
            steps:
              # Struck by the archive's size, not by time: on a fast machine a scale-0.3 dump
              # finished in 0.2 s, before an `after: 0.3s` trigger (as docs/scenarios.md says).
              - backup: {}
                env: {BACKUP_TIMEOUT: 4s}
                inject: {kind: network-partition, after_bytes: 64KiB}
                expect: {outcome: failure, message_contains: "timed out", archive: absent}
              # Its own timeout: on a loaded CI machine a 24 MiB dump itself took over 4 s.
              - backup: {}
                env: {BACKUP_TIMEOUT: 5m}
                expect: {outcome: success, archive: complete}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        #expect(result.log.contains { $0.contains("network-partition during the step") }, "\(result.log)")
    }

    @Test("network faults read and check their parameters")
    func parameters() throws {
        let scenario = try DrillHarness.parse("""
            name: t-net-parameters
            steps:
              - fault: {kind: network-latency, delay: 0.05s, jitter: 0.01s, direction: upstream}
              - fault: {kind: network-bandwidth, rate: 64KiB}
              - fault: {kind: network-reset, bytes: 1MiB}
              - fault: {kind: network-partition}
            """)
        let faults = scenario.steps.compactMap { step -> (any FaultKind)? in
            if let step = step.action.implementation as? FaultStep { return step.fault.implementation }
            return nil
        }
        #expect(faults[0].isSame(as: NetworkLatencyFault(delay: 0.05, jitter: 0.01, direction: .upstream)))
        #expect(faults[1].isSame(as: NetworkBandwidthFault(rate: 64 << 10, direction: .both)))
        #expect(faults[2].isSame(as: NetworkResetFault(bytes: 1 << 20)))
        #expect(faults[3].isSame(as: NetworkPartitionFault()))
        #expect(throws: ScenarioError.self) {
            try DrillHarness.parse("name: t\nsteps:\n  - fault: {kind: network-bandwidth, rate: 10}\n")
        }
        #expect(throws: ScenarioError.self) {
            try DrillHarness.parse("name: t\nsteps:\n  - fault: {kind: network-latency, direction: sideways}\n")
        }
    }

    @Test("a scenario may shorten PGCONNECT_TIMEOUT but still not point PGHOST elsewhere")
    func connectTimeoutIsTheScenarios() throws {
        let scenario = try DrillHarness.parse("name: t\nenv: {PGCONNECT_TIMEOUT: \"3\"}\nsteps:\n  - status: {}\n")
        #expect(scenario.environment["PGCONNECT_TIMEOUT"] == "3")
        #expect(throws: ScenarioError.self) {
            try DrillHarness.parse("name: t\nenv: {PGHOST: /tmp}\nsteps:\n  - status: {}\n")
        }
    }
}
