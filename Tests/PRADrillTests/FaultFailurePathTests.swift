import Foundation
import PRACore
import PRATestSupport
import PRADrillResults
import Testing

@testable import PRADrill

/// A fault that cannot be applied, or that never strikes, fails its scenario with a check that
/// says so: a drill never passes on a fault that did not happen. Each runs through the real
/// runner on its own cluster and checks that the drill leaves no mount behind.
@Suite("drill faults that fail to apply or never strike", .requires(.postgresServer))
struct FaultFailurePathTests {
    /// Runs `yaml`; returns the result and the failed check named `suffix`.
    static func run(_ yaml: String, failedCheck suffix: String) throws -> (ScenarioResult, CheckResult) {
        let options = DrillHarness.options()
        let result = DrillHarness.run(try DrillHarness.parse(yaml), options: options)
        #expect(result.verdict == .failed, "\(DrillHarness.failures(result))")
        let check = try #require(result.checks.first { $0.name.hasSuffix(suffix) && !$0.passed }, "no failed '\(suffix)' check: \(DrillHarness.failures(result))")
        #expect(try DrillHarness.mounts(under: options.workRoot).isEmpty)
        return (result, check)
    }

    @Test("corrupt-archive when the only backup failed: the 'applied' check fails naming the directory; nothing else is touched")
    func corruptArchiveWithoutBackup() throws {
        let (result, check) = try Self.run("""
            name: t-corrupt-nothing
            steps:
              - fault: {kind: stop-server}
              - backup: {}
                expect: {outcome: failure, archive: absent}
              - fault: {kind: corrupt-archive, mode: truncate, fraction: 0.5}
              - fault: {kind: start-server}
            """, failedCheck: "corrupt-archive applied")
        #expect(check.name.hasPrefix("step 3"), "\(check.name)")
        #expect(check.message?.contains("expected the fault to apply, got: no newest complete backup to corrupt in") == true, "\(check)")
        #expect(result.checks.filter { !$0.passed }.count == 1, "only the fault failed: \(DrillHarness.failures(result))")
    }

    @Test("start-server on a server already running: the 'applied' check fails with pg_ctl's reason")
    func startServerRunning() throws {
        let (_, check) = try Self.run("""
            name: t-start-running
            steps:
              - fault: {kind: start-server}
            """, failedCheck: "start-server applied")
        #expect(check.message?.hasPrefix("expected the fault to apply, got: ") == true, "\(check)")
    }

    @Test("kill-connections when no backup session ever appears (the backup stops at its configuration): the fault fails, naming the session it looked for")
    func killConnectionsWithoutSession() throws {
        let (_, check) = try Self.run("""
            name: t-kill-nothing
            env: {BACKUP_COMPRESSION_LEVEL: "12"}
            steps:
              - backup: {}
                inject: {kind: kill-connections}
                expect: {exit_code: 2, archive: absent}
            """, failedCheck: "kill-connections injected during the step")
        #expect(check.message?.contains("no active pra-backup session was found while the step ran") == true, "\(check)")
    }

    @Test("a fault whose trigger never fires ('fault never struck'): the scenario fails; the backup it did not hit is complete")
    func faultNeverStruck() throws {
        let (result, check) = try Self.run("""
            name: t-never-struck
            steps:
              - backup: {}
                inject: {kind: crash-server, after_bytes: 1GiB}
              - status: {}
            """, failedCheck: "crash-server injected during the step")
        #expect(check.message == "expected the fault to strike during the step, got: the step finished before the trigger", "\(check)")
        #expect(result.steps[0].exitCode == 0, "the backup ran untouched")
        #expect(result.steps[1].exitCode != nil, "the server kept running for the next step")
        #expect(!result.log.contains { $0.contains("SIGKILL") })
    }
}
