import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// `pra activate`'s pure logic, without a server: the phases against their budgets, the hook
/// file, the resume rules, the data-loss window, the state file.
@Suite("activation: budgets, hook file, resume rules")
struct ActivationLogicTests {
    @Test("phases are judged against their budgets one by one and as a whole; the budgets come from ACTIVATION_*_BUDGET, 5/15/10 minutes by default, and 0 is refused")
    func budgets() throws {
        let plan = ActivationBudgets.plan
        #expect(plan.total == 1800)
        let within: [ActivationPhase: Double] = [.preparation: 10, .restoration: 899, .verification: 30]
        #expect(!plan.overBudget(within))
        #expect(plan.verdicts(within).map(\.overBudget) == [false, false, false])
        let slowRestore: [ActivationPhase: Double] = [.preparation: 10, .restoration: 901]
        #expect(plan.overBudget(slowRestore))
        #expect(plan.verdicts(slowRestore).map(\.phase) == [.preparation, .restoration], "a phase that did not run has no verdict")
        #expect(plan.verdicts(slowRestore)[1].line.contains("OVER BUDGET"))
        // As a drill records them (the compliance report's RTO phases): each against its budget.
        #expect(plan.verdicts(slowRestore).map { RestoreResult.Phase.activation($0).name } == ["activation preparation (plan budget 5m00s)", "activation restoration (plan budget 15m00s, OVER BUDGET)"])

        let defaults = try ActivationBudgets(configuration: Configuration(envFile: TestEnvironment.noEnvFile, environment: [:]))
        #expect(defaults == plan)
        let tight = try ActivationBudgets(configuration: Configuration(envFile: TestEnvironment.noEnvFile, environment: ["ACTIVATION_RESTORATION_BUDGET": "90s"]))
        #expect(tight.seconds[.restoration] == 90 && tight.seconds[.preparation] == 300)
        #expect(throws: ConfigurationError.self) { try ActivationBudgets(configuration: Configuration(envFile: TestEnvironment.noEnvFile, environment: ["ACTIVATION_VERIFICATION_BUDGET": "0"])) }
        #expect(throws: ConfigurationError.self) { try ActivationBudgets(configuration: Configuration(envFile: TestEnvironment.noEnvFile, environment: ["ACTIVATION_PREPARATION_BUDGET": "soon"])) }
    }

    @Test("the hook file: argument arrays from an absolute path, a timeout each (60s by default), the program's name by default; anything else is refused naming the hook")
    func hookFile() throws {
        let hooks = try ActivationHookFile.parse(Data(#"{"hooks": [{"name": "load balancer", "command": ["/usr/bin/curl", "-sf", "http://lb/switch?to=db2"], "timeout": "30s"}, {"command": ["/usr/local/bin/dns-update", "db.example.org"]}]}"#.utf8), source: "hooks.json")
        #expect(hooks == [ActivationHook(name: "load balancer", command: ["/usr/bin/curl", "-sf", "http://lb/switch?to=db2"], timeoutSeconds: 30),
                          ActivationHook(name: "dns-update", command: ["/usr/local/bin/dns-update", "db.example.org"], timeoutSeconds: 60)])
        #expect(try ActivationHookFile.parse(Data(#"{"hooks": []}"#.utf8), source: "h").isEmpty)
        let refused: [(String, String)] = [
            (#"{"hooks": [{"command": ["curl", "x"]}]}"#, "absolute path"),
            (#"{"hooks": [{"command": "/usr/bin/curl http://lb"}]}"#, "non-empty array"),
            (#"{"hooks": [{"command": []}]}"#, "non-empty array"),
            (#"{"hooks": [{"command": ["/bin/true", 3]}]}"#, "must be a string"),
            (#"{"hooks": [{"command": ["/bin/true"], "timout": "5s"}]}"#, "unknown key \"timout\""),
            (#"{"hooks": [{"command": ["/bin/true"], "timeout": "later"}]}"#, "not a duration"),
            (#"{"hooks": [{"command": ["/bin/true"]}], "shell": true}"#, "unknown key \"shell\""),
            (#"[{"command": ["/bin/true"]}]"#, "expected {\"hooks\""),
            ("hooks:\n  - /bin/true", "not JSON"),
        ]
        for (text, expected) in refused {
            #expect(throws: ActivationError.self, "\(text)") { try ActivationHookFile.parse(Data(text.utf8), source: "hooks.json") }
            do {
                _ = try ActivationHookFile.parse(Data(text.utf8), source: "hooks.json")
            } catch {
                #expect(error.message.contains(expected) && error.message.contains("hooks.json"), "\(text): \(error.message)")
            }
        }
        let directory = TestEnvironment.temporaryDirectory("hookfile")
        #expect(throws: ActivationError.self) { try ActivationHookFile.load(path: directory + "/missing.json") }
    }

    private func state(_ stage: ActivationStage, strategy: ActivationStrategy.Kind = .logical, target: String = "akig_live", hooksDone: [ActivationHook] = []) -> ActivationState {
        var state = ActivationState(id: "20261207_040000", dryRun: false, strategy: strategy, target: target, startedAt: Date(), budgets: .plan)
        state.stage = stage
        state.hooksCompleted = hooksDone.count
        state.hooks = hooksDone.map { ActivationHookRecord(name: $0.name, command: $0.commandLine, startedAt: Date(), seconds: 0.1, exitCode: 0, timedOut: false, succeeded: true, standardOutput: "", standardError: "", failure: nil) }
        return state
    }

    @Test("resume: start when no state; preparation or an interrupted logical restore start again; a verified restore continues with the next hook, a switch with verification; never a second restore after a verified one")
    func resumeRules() {
        let lb = ActivationHook(name: "lb", command: ["/usr/bin/curl", "http://lb/switch"], timeoutSeconds: 10)
        let dns = ActivationHook(name: "dns", command: ["/usr/local/bin/dns", "db2"], timeoutSeconds: 10)
        let hooks = [lb, dns]
        func decide(_ state: ActivationState?, _ strategy: ActivationStrategy.Kind = .logical, target: String = "akig_live", hooks: [ActivationHook] = hooks) -> ActivationResume {
            ActivationResume.decide(state: state, strategy: strategy, target: target, hooks: hooks, stateFile: "/r/activation-state.json")
        }
        #expect(decide(nil) == .start)
        guard case .restart = decide(state(.preparing)) else { Issue.record("preparing must restart"); return }
        guard case .restart = decide(state(.restoring)) else { Issue.record("an interrupted logical restore must restart"); return }
        #expect(decide(state(.restored)) == .switchFrom(hook: 0))
        #expect(decide(state(.switching, hooksDone: [lb])) == .switchFrom(hook: 1))
        #expect(decide(state(.switched, hooksDone: hooks)) == .verify)
        #expect(decide(state(.verifying, hooksDone: hooks)) == .verify)
        for refused in [decide(state(.activated, hooksDone: hooks)),
                        decide(state(.restoring, strategy: .pointInTime, target: "/srv/pg"), .pointInTime, target: "/srv/pg"),
                        decide(state(.restored), target: "other_db"),
                        decide(state(.switching, hooksDone: [lb]), hooks: [dns, lb]),
                        decide(state(.switched, hooksDone: hooks), hooks: [lb])] {
            guard case .refuse(let why) = refused else { Issue.record("expected a refusal, got \(refused)"); continue }
            #expect(why.contains("--abandon") || why.contains("hooks"), "\(why)")
        }
        // The standing names how far the switch went.
        var failed = state(.switching, hooksDone: [lb])
        failed.failure = "switch hook 2 (dns) failed"
        #expect(failed.standing.contains("switched up to hook 1 (lb)") && failed.standing.contains("hook 2 failed"), "\(failed.standing)")
    }

    @Test("the data-loss window is the last known write minus the recovery point, never negative, unknown when either is")
    func dataLossWindow() {
        let point = Date(timeIntervalSince1970: 1_800_000_000)
        var recovery = ActivationRecoveryPoint(at: point, description: "dump x", lastKnownWrite: point.addingTimeInterval(754), lastKnownWriteSource: "newest archived WAL segment")
        #expect(recovery.dataLossSeconds == 754)
        #expect(recovery.sentence.contains("data-loss window 12m34s"), "\(recovery.sentence)")
        recovery.lastKnownWrite = point.addingTimeInterval(-60)
        #expect(recovery.dataLossSeconds == 0)
        recovery.lastKnownWrite = nil
        #expect(recovery.dataLossSeconds == nil)
        #expect(recovery.sentence.contains("data-loss window unknown"))
    }

    @Test("the state file is written whole (mode 0600) and read back; a file pra did not write is refused naming --abandon")
    func stateFile() throws {
        let directory = TestEnvironment.temporaryDirectory("activation-state")
        let path = directory + "/state/activation-state.json"
        var written = state(.switching, hooksDone: [ActivationHook(name: "lb", command: ["/bin/true"], timeoutSeconds: 5)])
        written.phaseSeconds = [.preparation: 2.5, .restoration: 40]
        written.recoveryPoint = ActivationRecoveryPoint(at: Date(timeIntervalSince1970: 1_800_000_000), description: "dump", lastKnownWrite: nil, lastKnownWriteSource: nil)
        try written.save(path: path)
        let read = try #require(try ActivationState.load(path: path))
        #expect(read.stage == .switching && read.hooksCompleted == 1 && read.phaseSeconds == written.phaseSeconds && read.recoveryPoint == written.recoveryPoint)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/state") == ["activation-state.json"], "no temporary file left")
        #expect(try ActivationState.load(path: directory + "/none.json") == nil)
        try Data("{\"stage\": 3".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ActivationError.self) { try ActivationState.load(path: path) }
    }
}
