import PRACore
import Yams

/// Reads one step: exactly one action key, plus optional `inject`, `expect`, `env`.
struct StepReader {
    let reader: NodeReader
    let key: String

    static let actions = StepKind.allCases.map(\.rawValue)

    func step(_ node: Node) throws(ScenarioError) -> Step {
        let map = try reader.mapping(node, key: key, allowed: Self.actions + ["inject", "expect", "env"])
        let present = Self.actions.filter { map.node($0) != nil }
        guard present.count == 1, let actionName = present.first, let kind = StepKind(rawValue: actionName), let actionNode = map.node(actionName) else {
            throw reader.error(node, key, present.isEmpty
                ? "a step needs one action: \(Self.actions.joined(separator: ", "))"
                : "a step has exactly one action, found \(present.joined(separator: " and "))")
        }
        var step = Step(action: try action(kind, actionNode), line: node.mark?.line ?? 0)
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

    private func action(_ kind: StepKind, _ node: Node) throws(ScenarioError) -> StepAction {
        let path = "\(key).\(kind.rawValue)"
        switch kind {
        case .backup:
            let map = try reader.mapping(node, key: path, allowed: ["kind"])
            guard let kindNode = map.node("kind") else { return .backup }
            switch try reader.string(kindNode, key: "\(path).kind") {
            case "full": return .backup
            case "base": return .baseBackup
            case "incremental": return .incrementalBackup
            case let other: throw reader.error(kindNode, "\(path).kind", "unknown backup kind \"\(other)\" (known: full, base, incremental)")
            }
        case .status:
            _ = try reader.mapping(node, key: path, allowed: [])
            return .status
        case .verify:
            let map = try reader.mapping(node, key: path, allowed: ["archive"])
            guard let archive = map.node("archive"), archive.string != "all" else { return .verify(archive: nil) }
            return .verify(archive: try reader.archive(archive, key: "\(path).archive"))
        case .restore:
            let map = try reader.mapping(node, key: path, allowed: ["archive", "target_db", "force", "pitr", "offset"])
            if let pitr = map.node("pitr") {
                for other in ["archive", "target_db", "force"] {
                    if let node = map.node(other) { throw reader.error(node, "\(path).\(other)", "a point-in-time restore (pitr) recovers the whole cluster into a new directory; \(other) is for logical restores") }
                }
                let anchorText = try reader.string(pitr, key: "\(path).pitr")
                let anchor: PointInTimeTarget.Anchor
                switch anchorText {
                case "latest": anchor = .latest
                case "disaster": anchor = .disaster
                default: anchor = .mark(anchorText)
                }
                let offset = try map.node("offset").map { (node) throws(ScenarioError) -> Double in
                    guard anchor != .latest else { throw reader.error(node, "\(path).offset", "offset shifts a moment; pitr: latest has none") }
                    let text = try reader.string(node, key: "\(path).offset")
                    let negative = text.hasPrefix("-")
                    guard let seconds = DurationParser.seconds(negative || text.hasPrefix("+") ? String(text.dropFirst()) : text) else {
                        throw reader.error(node, "\(path).offset", "must be a duration with an optional sign, e.g. -2s or +500ms")
                    }
                    return negative ? -seconds : seconds
                } ?? 0
                return .pointInTimeRestore(PointInTimeTarget(anchor: anchor, offset: offset))
            }
            if let node = map.node("offset") { throw reader.error(node, "\(path).offset", "offset needs pitr") }
            var selector: ArchiveSelector?
            if let archive = map.node("archive"), archive.string != "latest" {
                selector = try reader.archive(archive, key: "\(path).archive")
            }
            let target = try map.node("target_db").map { (node) throws(ScenarioError) in try reader.string(node, key: "\(path).target_db") }
            let force = try map.node("force").map { (node) throws(ScenarioError) in try reader.bool(node, key: "\(path).force") } ?? false
            return .restore(archive: selector, targetDatabase: target, force: force)
        case .fault:
            return .fault(try fault(node, key: path, extraKeys: []).fault)
        case .disaster:
            var kindNode = node
            var tableNode: Node?
            if case .mapping = node {
                let map = try reader.mapping(node, key: path, allowed: ["kind", "table"])
                kindNode = try map.required("kind")
                tableNode = map.node("table")
            }
            let text = try reader.string(kindNode, key: path)
            guard let kind = DisasterKind(rawValue: text) else {
                throw reader.error(kindNode, path, "unknown disaster \"\(text)\"\(ClosestMatch.hint(for: text, among: DisasterKind.allCases.map(\.rawValue))) (known: \(DisasterKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let tableNode else { return .disaster(kind) }
            guard kind == .badTransaction else {
                throw reader.error(tableNode, "\(path).table", "table is the table a bad-transaction empties; \(kind.rawValue) takes none")
            }
            let table = try reader.string(tableNode, key: "\(path).table")
            let parts = table.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
                throw reader.error(tableNode, "\(path).table", "must be a table name or schema.table, e.g. receipts")
            }
            return .disaster(kind, table: table)
        case .wait:
            return .wait(seconds: try reader.duration(node, key: path))
        case .mark:
            let name = try reader.string(node, key: path)
            guard !name.isEmpty, !["latest", "disaster"].contains(name) else {
                throw reader.error(node, path, "a mark needs a name other than latest and disaster")
            }
            return .mark(name)
        }
    }

    private func timedFault(_ node: Node, key: String) throws(ScenarioError) -> TimedFault {
        let parsed = try fault(node, key: key, extraKeys: ["after", "after_bytes"])
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

    /// A fault mapping: `kind` names a kind of ``FaultRegistry``, which reads its own parameters.
    private func fault(_ node: Node, key: String, extraKeys: [String]) throws(ScenarioError) -> (fault: Fault, map: NodeReader.Mapping) {
        let map = try reader.mapping(node, key: key, allowed: ["kind"] + FaultRegistry.parameterNames + extraKeys)
        let kindNode = try map.required("kind")
        let name = try reader.string(kindNode, key: "\(key).kind")
        guard let kind = FaultRegistry.kind(named: name) else {
            throw reader.error(kindNode, "\(key).kind", "unknown fault kind \"\(name)\"\(ClosestMatch.hint(for: name, among: FaultRegistry.names)) (known: \(FaultRegistry.names.joined(separator: ", ")))")
        }
        let own = kind.parameters.map(\.name)
        for parameter in FaultRegistry.parameterNames where !own.contains(parameter) {
            if let extra = map.node(parameter) {
                throw reader.error(extra, "\(key).\(parameter)", "not a parameter of \(name)" + (own.isEmpty ? " (it takes none)" : " (it takes: \(own.joined(separator: ", ")))"))
            }
        }
        let parameters = FaultParameterReader(kind: name, declared: kind.parameters, mapping: map, reader: reader, key: key)
        return (Fault(try kind.init(parameters)), map)
    }

    private func expectations(_ node: Node, action: StepAction, key: String) throws(ScenarioError) -> Expectations {
        var allowed: [String]
        switch action {
        case .backup: allowed = ["archive", "earlier_backups"]
        case .baseBackup: allowed = ["archive"]
        case .incrementalBackup: allowed = []
        case .verify: allowed = ["earlier_backups"]
        case .restore: allowed = ["rows_match_manifest", "used_backup", "rto_max", "rpo_max", "rpo_min", "earlier_backups"]
        case .pointInTimeRestore: allowed = ["rows_back", "copy_in_archive", "rto_max", "rpo_max", "rpo_min"]
        case .status: allowed = ["status"]
        case .fault, .disaster, .wait, .mark:
            throw reader.error(node, key, "\(action.kind.rawValue) steps take no expectations")
        }
        allowed = ["outcome", "exit_code", "message_contains", "seconds_max"] + allowed
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
