import Foundation
import PRACore
import PRADrillResults
import PRATestSupport
import Testing

@testable import PRADrill

// The activate step (Steps/ActivateStep.swift): its options load and are rejected like the
// other steps'; the scenarios that run it (activate-lose-cluster, activate-failing-switch-hook,
// activate-standby-lose-primary, activate-standby-fell-behind)
// run in the catalogue.

@Suite("activate step: loading")
struct ActivateStepLoaderTests {
    @Test("activate: {}, {target_db, hooks: failing}, {standby: true} and {standby: true, accept_data_loss: true} load; an unknown hooks value, standby without archiving or with target_db, accept_data_loss without standby, an unknown key, and an activate without a backup before it are refused naming line and key")
    func options() throws {
        let scenario = try ScenarioLoader().parse("name: t\nsteps:\n  - backup: {}\n  - activate: {}\n  - activate: {target_db: akig_live, hooks: failing}\n", file: "t.yaml")
        #expect(scenario.steps.map(\.action) == [.backup, .activate(), .activate(targetDatabase: "akig_live", hooks: .failing)])
        #expect(scenario.steps[2].action.description == "activate into akig_live with a failing switch hook")
        let standby = try ScenarioLoader().parse("name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - standby: {}\n  - activate: {standby: true}\n", file: "t.yaml")
        #expect(standby.steps[2].action == .activate(standby: true))
        let accepting = try ScenarioLoader().parse("name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - standby: {}\n  - activate: {standby: true, accept_data_loss: true}\n", file: "t.yaml")
        #expect(accepting.steps[2].action == .activate(standby: true, acceptDataLoss: true))
        #expect(accepting.steps[2].action.description == "activate by promoting the standby accepting data loss")
        let invalid: [(String, Int, String, String)] = [
            ("name: t\nsteps:\n  - backup: {}\n  - activate: {hooks: sometimes}\n", 4, "steps[2].activate.hooks", "must be switch or failing"),
            ("name: t\nsteps:\n  - backup: {}\n  - activate: {promote: true}\n", 4, "steps[2].activate.promote", "unknown key (allowed here: target_db, hooks, standby, accept_data_loss)"),
            ("name: t\nsteps:\n  - backup: {}\n  - activate: {accept_data_loss: true}\n", 4, "steps[2].activate.accept_data_loss", "is for standby: true"),
            ("name: t\nsteps:\n  - backup: {}\n  - activate: {standby: true}\n", 4, "steps[2]", "needs continuous archiving"),
            ("name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - activate: {standby: true, target_db: x}\n", 5, "steps[2].activate.target_db", "a promoted standby keeps its databases"),
            ("name: t\nsteps:\n  - activate: {}\n", 3, "steps[1]", "only 0 full backup step(s)"),
        ]
        for (yaml, line, key, fragment) in invalid {
            do {
                _ = try ScenarioLoader().parse(yaml, file: "t.yaml")
                Issue.record("loaded although invalid: \(yaml)")
            } catch {
                #expect(error.line == line && error.key.hasPrefix(key) && error.message.contains(fragment), "\(error)")
            }
        }
    }
}
