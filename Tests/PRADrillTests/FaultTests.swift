import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRADrill

/// One test per fault kind and disaster kind, each through the real runner on its own cluster.
@Suite("faults", .serialized, .requires(.postgresServer))
struct FaultTests {
    @Test("kill-connections terminates the backup's pg_dump session mid-dump")
    func killConnections() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-kill
            scale: 0.3
            steps:
              - backup: {}
                inject: {kind: kill-connections, after_bytes: 32KiB}
                expect: {outcome: failure, archive: absent}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        #expect(result.steps[0].exitCode == 1)
        #expect(result.steps[0].errorLine?.contains("pg_dump") == true)
        #expect(result.log.contains { $0.contains("terminated pra-backup backend") })
    }

    @Test("disk-full fails the backup with ENOSPC and unmounts afterwards", .requires(.root))
    func diskFull() throws {
        let options = DrillHarness.options()
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-disk
            steps:
              - backup: {}
              - backup: {}
                inject: {kind: disk-full, free: 16KiB}
                expect: {outcome: failure, message_contains: "No space left on device", archive: absent, earlier_backups: untouched}
            """), options: options)
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        // Only this drill's own directory is looked at: other tests mount tmpfs of their own meanwhile.
        #expect(result.log.contains { $0.contains("tmpfs on \(options.workRoot)/t-disk/backups") }, "the fault never mounted: \(result.log)")
        #expect(try DrillHarness.mounts(under: options.workRoot).isEmpty, "the tmpfs was left mounted")
    }

    @Test("disk-full is reported skipped, never passed, when it cannot mount")
    func diskFullSkipsWithoutRoot() throws {
        let scenario = try DrillHarness.parse("""
            name: t-skip
            steps:
              - backup: {}
                inject: {kind: disk-full}
            """)
        let runner = ScenarioRunner(scenario: scenario, options: DrillHarness.options())
        if TestEnvironment.isRoot {
            #expect(runner.skipReason() == nil)
        } else {
            #expect(runner.skipReason()?.contains("root") == true)
            #expect(runner.run().verdict == .skipped)
        }
    }

    @Test("corrupt-archive changes the newest archive so that verify fails")
    func corruptArchive() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-corrupt
            steps:
              - backup: {}
              - verify: {archive: newest}
              - fault: {kind: corrupt-archive, mode: truncate, fraction: 0.3}
              - verify: {archive: newest}
                expect: {outcome: failure, exit_code: 1, message_contains: "truncated"}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        #expect(result.log.contains { $0.contains("truncated to 30%") })
    }

    @Test("crash-server kills the postmaster during a backup; start-server recovers it")
    func crashServer() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-crash
            scale: 0.3
            steps:
              - backup: {}
                inject: {kind: crash-server, after_bytes: 32KiB}
                expect: {outcome: failure, archive: absent}
              - status: {}
                expect: {status: CRITICAL}
              - fault: {kind: start-server}
              - backup: {}
                expect: {outcome: success, archive: complete}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        #expect(result.log.contains { $0.contains("SIGKILL") })
    }

    @Test("stop-server makes status CRITICAL and restore fail; start-server brings it back")
    func stopServer() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-stop
            steps:
              - backup: {}
              - fault: {kind: stop-server}
              - restore: {target_db: copy}
                expect: {outcome: failure}
              - fault: {kind: start-server}
              - restore: {target_db: copy}
                expect: {outcome: success, rows_match_manifest: true}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
    }

    @Test("disasters: drop-database, wipe-data-directory and lose-cluster are each recovered, RTO measured with its phases", arguments: [DisasterKind.dropDatabase, .wipeDataDirectory, .loseCluster])
    func disasters(kind: DisasterKind) throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-\(kind.rawValue)
            steps:
              - backup: {}
              - disaster: \(kind.rawValue)
              - restore: {}
                expect: {outcome: success, rows_match_manifest: true, rto_max: 5m}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        let rto = try #require(result.measurement.rtoSeconds)
        // Bounded by the times the runner recorded: the RTO starts inside the disaster step and
        // ends inside the restore step, so it covers at least the gap between the two steps
        // and at most disaster start to restore end.
        let disaster = result.steps[1], restore = result.steps[2]
        let gap = restore.startedAt.timeIntervalSince(disaster.startedAt.addingTimeInterval(disaster.seconds))
        let window = restore.startedAt.addingTimeInterval(restore.seconds).timeIntervalSince(disaster.startedAt)
        #expect(rto > max(0, gap), "RTO \(rto) shorter than the gap between disaster and restore (\(gap)s)")
        #expect(rto <= window + 0.01, "RTO \(rto) longer than disaster start to restore end (\(window)s)")
        let phases = result.measurement.rtoPhases.map(\.name)
        #expect(phases.contains("load"))
        #expect(phases.contains("provision server") == (kind != .dropDatabase))
        // The phases account for the whole RTO.
        #expect(abs(result.measurement.rtoPhases.reduce(0) { $0 + $1.seconds } - rto) < 0.05)
    }

    @Test("remote-unreachable: the off-site copy fails (exit 3), the local backup stays complete", .requires(.ssh))
    func remoteUnreachable() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-remote-unreachable
            steps:
              - backup: {}
                inject: {kind: remote-unreachable}
                expect: {exit_code: 3, message_contains: "ssh cannot reach 127.0.0.1", archive: complete}
              - backup: {}
                expect: {exit_code: 0}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        #expect(result.steps[0].errorLine?.contains("\n") == false)
    }

    @Test("remote-full: the off-site copy runs out of space (exit 3) and its tmpfs is unmounted at the end", .requires(.root))
    func remoteFull() throws {
        let options = DrillHarness.options()
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-remote-full
            steps:
              - fault: {kind: remote-full, free: 8KiB}
              - backup: {}
                expect: {exit_code: 3, message_contains: "No space left on device", archive: complete}
            """), options: options)
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        #expect(result.log.contains { $0.contains(options.workRoot + "/t-remote-full/remote") }, "the fault never mounted: \(result.log)")
        #expect(try DrillHarness.mounts(under: options.workRoot).isEmpty, "the tmpfs was left mounted")
    }

    @Test("webhook-error: a Slack webhook answering 503 is reported and the good backup stays good")
    func webhookError() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-webhook
            env: {ALERT_ON_SUCCESS: "true"}
            steps:
              - backup: {}
                inject: {kind: webhook-error, status: 503}
                expect: {exit_code: 0, archive: complete, message_contains: ["slack alert via", "503"]}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
    }

    @Test("smtp-refusing: an SMTP server refusing service is reported and the failed backup keeps exit 1", .requires(.curl))
    func smtpRefusing() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-smtp
            steps:
              - backup: {}
              - fault: {kind: smtp-refusing}
              - fault: {kind: stop-server}
              - backup: {}
                expect: {exit_code: 1, message_contains: ["email alert via", "the command's own result is unchanged"]}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
    }
}
