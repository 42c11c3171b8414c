import PRACore
import Yams

/// Reads one step: exactly one action key (a kind of ``StepRegistry``, which reads its own
/// options), plus optional `inject`, `expect`, `env`.
struct StepReader {
    let reader: NodeReader
    let key: String

    static var actions: [String] { StepRegistry.names }

    func step(_ node: Node) throws(ScenarioError) -> Step {
        let map = try reader.mapping(node, key: key, allowed: Self.actions + ["inject", "expect", "env"])
        let present = Self.actions.filter { map.node($0) != nil }
        guard present.count == 1, let actionName = present.first, let kind = StepRegistry.type(named: actionName), let actionNode = map.node(actionName) else {
            throw reader.error(node, key, present.isEmpty
                ? "a step needs one action: \(Self.actions.joined(separator: ", "))"
                : "a step has exactly one action, found \(present.joined(separator: " and "))")
        }
        let action = StepAction(try kind.read(StepOptions(node: actionNode, reader: reader, key: "\(key).\(actionName)")))
        var step = Step(action: action, line: node.mark?.line ?? 0)
        if let inject = map.node("inject") {
            guard step.action.runsPra else {
                throw reader.error(inject, "\(key).inject", "faults can be injected into \(StepKind.listed(StepKind.praSteps, conjunction: "and")) steps only; use a fault step here")
            }
            step.fault = try timedFault(inject, key: "\(key).inject")
        }
        if let expect = map.node("expect") {
            step.expect = try expectations(expect, action: step.action, key: "\(key).expect")
        }
        if let env = map.node("env") {
            guard step.action.runsPra else { throw reader.error(env, "\(key).env", "only steps that run pra take env") }
            step.environment = try reader.environment(env, key: "\(key).env")
        }
        return step
    }

    private func timedFault(_ node: Node, key: String) throws(ScenarioError) -> TimedFault {
        let parsed = try reader.fault(node, key: key, extraKeys: ["after", "after_bytes"])
        let map = parsed.map
        if type(of: parsed.fault.implementation).timing == .beforeStep, let timing = map.node("after") ?? map.node("after_bytes") {
            throw reader.error(timing, key, "\(parsed.fault.kind) changes the step's configuration, so it applies before the step; remove after/after_bytes")
        }
        if map.node("after") != nil && map.node("after_bytes") != nil {
            throw reader.error(node, key, "give after or after_bytes, not both")
        }
        if let after = map.node("after") {
            return TimedFault(fault: parsed.fault, trigger: .afterSeconds(try reader.duration(after, key: "\(key).after")))
        }
        if let bytes = map.node("after_bytes") {
            return TimedFault(fault: parsed.fault, trigger: .afterBytes(try reader.size(bytes, key: "\(key).after_bytes")))
        }
        return TimedFault(fault: parsed.fault, trigger: .before)
    }

    private func expectations(_ node: Node, action: StepAction, key: String) throws(ScenarioError) -> Expectations {
        guard let allowed = action.implementation.expectationKeys else {
            throw reader.error(node, key, "\(action.kind.rawValue) steps take no expectations")
        }
        let map = try reader.mapping(node, key: key, allowed: allowed)
        var expect = Expectations()
        if let value = map.node("outcome") {
            let text = try reader.string(value, key: "\(key).outcome")
            guard let outcome = Expectations.Outcome(rawValue: text) else { throw reader.error(value, "\(key).outcome", "must be success or failure") }
            expect.outcome = outcome
        }
        if let value = map.node("exit_code") { expect.exitCode = Int32(try reader.integer(value, key: "\(key).exit_code", in: 0...255)) }
        if let value = map.node("message_contains") { expect.messageContains = try reader.stringList(value, key: "\(key).message_contains") }
        if let value = map.node("seconds_max") { expect.secondsMax = try reader.duration(value, key: "\(key).seconds_max") }
        if let value = map.node("archive") {
            let text = try reader.string(value, key: "\(key).archive")
            guard let state = Expectations.ArchiveState(rawValue: text) else { throw reader.error(value, "\(key).archive", "must be complete or absent") }
            expect.archive = state
        }
        if let value = map.node("earlier_backups") {
            guard try reader.string(value, key: "\(key).earlier_backups") == "untouched" else {
                throw reader.error(value, "\(key).earlier_backups", "the only state is untouched")
            }
            expect.earlierBackupsUntouched = true
        }
        if let value = map.node("status") {
            let text = try reader.string(value, key: "\(key).status").uppercased()
            guard ["OK", "WARNING", "CRITICAL"].contains(text) else { throw reader.error(value, "\(key).status", "must be OK, WARNING or CRITICAL") }
            expect.statusLevel = text
        }
        if let value = map.node("rows_match_manifest") { expect.rowsMatchManifest = try reader.bool(value, key: "\(key).rows_match_manifest") }
        if let value = map.node("used_backup") { expect.usedBackup = try reader.archive(value, key: "\(key).used_backup") }
        if let value = map.node("rows_back") { expect.rowsBack = try reader.bool(value, key: "\(key).rows_back") }
        if let value = map.node("copy_in_archive") { expect.copyInArchive = try reader.bool(value, key: "\(key).copy_in_archive") }
        if let value = map.node("rto_max") { expect.rtoMax = try reader.duration(value, key: "\(key).rto_max") }
        if let value = map.node("rpo_max") { expect.rpoMax = try reader.duration(value, key: "\(key).rpo_max") }
        if let value = map.node("rpo_min") { expect.rpoMin = try reader.duration(value, key: "\(key).rpo_min") }
        return expect
    }
}
