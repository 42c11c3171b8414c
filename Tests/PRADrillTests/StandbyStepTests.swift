import Foundation
import PRATestSupport
import Testing

@testable import PRADrill

// The standby step (Steps/StandbyStep.swift): its options load, its place in a scenario is
// checked (archiving and a base backup before a create), and wrong options name line and key.
// It runs on real servers in scenarios/standby-behind-a-gap-status-critical.yaml (the catalogue).
@Suite("standby step: loading")
struct StandbyStepLoaderTests {
    static let header = "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n"

    @Test("standby: {} creates, {action: status} reads the state with expect.status, from_remote picks the off-site copy; wrong options and a create without archiving or a base backup are refused naming the key")
    func options() throws {
        let scenario = try ScenarioLoader().parse(Self.header + """
              - standby: {}
              - standby: {action: create, from_remote: true}
              - standby: {action: status}
                expect: {status: critical, message_contains: not promotable}
            """, file: "t.yaml")
        #expect(scenario.steps.dropFirst().map(\.action) == [.standby(), .standby(.create, fromRemote: true), .standby(.status)])
        #expect(scenario.steps.dropFirst().map(\.action.description) == ["standby create", "standby create from the off-site copy", "standby status"])
        #expect(scenario.steps[3].expect.statusLevel == "CRITICAL")

        let invalid: [(yaml: String, key: String, fragment: String)] = [
            (Self.header + "  - standby: {action: promote}\n", "steps[2].standby.action", "must be create or status"),
            (Self.header + "  - standby: {action: status, from_remote: true}\n", "steps[2].standby.from_remote", "only create picks a base backup"),
            (Self.header + "  - standby: {}\n    expect: {status: OK}\n", "steps[2].expect.status", "unknown key (allowed here: outcome, exit_code, message_contains, seconds_max)"),
            ("name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - standby: {}\n", "steps[1]", "standby needs a base backup"),
            ("name: t\nsteps:\n  - backup: {}\n  - standby: {}\n", "steps[2]", "standby needs continuous archiving"),
        ]
        for testCase in invalid {
            do {
                _ = try ScenarioLoader().parse(testCase.yaml, file: "t.yaml")
                Issue.record("loaded although invalid: \(testCase.yaml)")
            } catch {
                #expect(error.key == testCase.key && error.message.contains(testCase.fragment), "\(testCase.yaml): \(error.key) \(error.message)")
            }
        }
    }
}
