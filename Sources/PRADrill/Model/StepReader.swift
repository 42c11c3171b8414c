import PRACore
import Yams

/// Reads one step: exactly one action key, plus optional `inject`, `expect`, `env`.
struct StepReader {
    let reader: NodeReader
    let key: String

    static let actions = ["backup", "verify", "restore", "status", "fault", "disaster", "wait"]

    func step(_ node: Node) throws(ScenarioError) -> Step {
        let map = try reader.mapping(node, key: key, allowed: Self.actions + ["inject", "expect", "env"])
        let present = Self.actions.filter { map.node($0) != nil }
        guard present.count == 1, let actionName = present.first, let actionNode = map.node(actionName) else {
            throw reader.error(node, key, present.isEmpty
                ? "a step needs one action: \(Self.actions.joined(separator: ", "))"
                : "a step has exactly one action, found \(present.joined(separator: " and "))")
        }
        var step = Step(action: try action(actionName, actionNode), line: node.mark?.line ?? 0)
        if let inject = map.node("inject") {
            guard step.action.runsPra else {
                throw reader.error(inject, "\(key).inject", "faults can be injected into backup, verify, restore and status steps only; use a fault step here")
            }
            step.fault = try timedFault(inject, key: "\(key).inject")
        }
        if let expect = map.node("expect") {
            step.expect = try expectations(expect, action: step.action, key: "\(key).expect")
        }
        if let env = map.node("env") {
            guard step.action.runsPra else { throw reader.error(env, "\(key).env", "only steps that run pra take env") }
            step.environment = try reader.stringMap(env, key: "\(key).env")
        }
        return step
    }

    private func action(_ name: String, _ node: Node) throws(ScenarioError) -> StepAction {
        let path = "\(key).\(name)"
        switch name {
        case "backup":
            _ = try reader.mapping(node, key: path, allowed: [])
            return .backup
        case "status":
            _ = try reader.mapping(node, key: path, allowed: [])
            return .status
        case "verify":
            let map = try reader.mapping(node, key: path, allowed: ["archive"])
            guard let archive = map.node("archive"), archive.string != "all" else { return .verify(archive: nil) }
            return .verify(archive: try reader.archive(archive, key: "\(path).archive"))
        case "restore":
            let map = try reader.mapping(node, key: path, allowed: ["archive", "target_db", "force"])
            var selector: ArchiveSelector?
            if let archive = map.node("archive"), archive.string != "latest" {
                selector = try reader.archive(archive, key: "\(path).archive")
            }
            let target = try map.node("target_db").map { (node) throws(ScenarioError) in try reader.string(node, key: "\(path).target_db") }
            let force = try map.node("force").map { (node) throws(ScenarioError) in try reader.bool(node, key: "\(path).force") } ?? false
            return .restore(archive: selector, targetDatabase: target, force: force)
        case "fault":
            return .fault(try fault(node, key: path, extraKeys: []).fault)
        case "disaster":
            var kindNode = node
            if case .mapping = node {
                kindNode = try reader.mapping(node, key: path, allowed: ["kind"]).required("kind")
            }
            let text = try reader.string(kindNode, key: path)
            guard let kind = DisasterKind(rawValue: text) else {
                throw reader.error(kindNode, path, "unknown disaster \"\(text)\" (known: \(DisasterKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return .disaster(kind)
        default:  // wait
            return .wait(seconds: try reader.duration(node, key: path))
        }
    }

    private func timedFault(_ node: Node, key: String) throws(ScenarioError) -> TimedFault {
        let parsed = try fault(node, key: key, extraKeys: ["after", "after_bytes"])
        let map = parsed.map
        if parsed.fault.changesConfiguration, let timing = map.node("after") ?? map.node("after_bytes") {
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

    private func fault(_ node: Node, key: String, extraKeys: [String]) throws(ScenarioError) -> (fault: Fault, map: NodeReader.Mapping) {
        let allowed = ["kind", "free", "mode", "count", "seed", "fraction", "length", "bytes", "archive", "status"] + extraKeys
        let map = try reader.mapping(node, key: key, allowed: allowed)
        let kindNode = try map.required("kind")
        let kind = try reader.string(kindNode, key: "\(key).kind")
        func only(_ keys: [String]) throws(ScenarioError) {
            let parameters = allowed.filter { !["kind"].contains($0) && !extraKeys.contains($0) }
            for parameter in parameters where !keys.contains(parameter) {
                if let extra = map.node(parameter) {
                    throw reader.error(extra, "\(key).\(parameter)", "not a parameter of \(kind)\(keys.isEmpty ? " (it takes none)" : " (it takes: \(keys.joined(separator: ", ")))")")
                }
            }
        }
        switch kind {
        case "kill-connections":
            try only([])
            return (.killConnections, map)
        case "crash-server":
            try only([])
            return (.crashServer, map)
        case "stop-server":
            try only([])
            return (.stopServer, map)
        case "start-server":
            try only([])
            return (.startServer, map)
        case "remote-unreachable":
            try only([])
            return (.remoteUnreachable, map)
        case "smtp-refusing":
            try only([])
            return (.smtpRefusing, map)
        case "remote-full":
            try only(["free"])
            let free = try map.node("free").map { (node) throws(ScenarioError) in try reader.size(node, key: "\(key).free") } ?? 64 * 1024
            return (.remoteFull(freeBytes: free), map)
        case "webhook-error":
            try only(["status"])
            let status = try map.node("status").map { (node) throws(ScenarioError) in try reader.integer(node, key: "\(key).status", in: 300...599) } ?? 500
            return (.webhookError(status: status), map)
        case "disk-full":
            try only(["free"])
            let free = try map.node("free").map { (node) throws(ScenarioError) in try reader.size(node, key: "\(key).free") } ?? 64 * 1024
            return (.diskFull(freeBytes: free), map)
        case "corrupt-archive":
            try only(["mode", "count", "seed", "fraction", "length", "bytes", "archive"])
            let archive = try map.node("archive").map { (node) throws(ScenarioError) in try reader.archive(node, key: "\(key).archive") } ?? .newest
            let modeNode = try map.required("mode")
            let mode = try reader.string(modeNode, key: "\(key).mode")
            let parameters: [String: [String]] = [
                "bit-flips": ["count", "seed"], "truncate": ["fraction"], "zero-block": ["fraction", "length"],
                "append-garbage": ["bytes"], "delete-manifest": [], "alter-manifest": [],
            ]
            guard let accepted = parameters[mode] else {
                throw reader.error(modeNode, "\(key).mode", "unknown corruption mode \"\(mode)\" (known: bit-flips, truncate, zero-block, append-garbage, delete-manifest, alter-manifest)")
            }
            for name in ["count", "seed", "fraction", "length", "bytes"] where !accepted.contains(name) {
                if let extra = map.node(name) {
                    throw reader.error(extra, "\(key).\(name)", "not a parameter of mode \(mode)" + (accepted.isEmpty ? " (it takes none)" : " (it takes: \(accepted.joined(separator: ", ")))"))
                }
            }
            func whole(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws(ScenarioError) -> Int {
                try map.node(name).map { (node) throws(ScenarioError) in try reader.integer(node, key: "\(key).\(name)", in: range) } ?? fallback
            }
            func fraction() throws(ScenarioError) -> Double {
                guard let node = map.node("fraction") else { return 0.5 }
                let value = try reader.number(node, key: "\(key).fraction")
                guard value >= 0 && value < 1 else { throw reader.error(node, "\(key).fraction", "must be in [0, 1)") }
                return value
            }
            let corruption: ArchiveCorruption
            switch mode {
            case "bit-flips": corruption = .bitFlips(count: try whole("count", 1, 1...1_000_000), seed: UInt64(try whole("seed", 1, 0...Int(Int32.max))))
            case "truncate": corruption = .truncate(fraction: try fraction())
            case "zero-block": corruption = .zeroBlock(fraction: try fraction(), length: try whole("length", 4096, 1...(1 << 30)))
            case "append-garbage": corruption = .appendGarbage(bytes: try whole("bytes", 64, 1...(1 << 30)))
            case "delete-manifest": corruption = .deleteManifest
            default: corruption = .alterManifest
            }
            return (.corruptArchive(corruption, archive: archive), map)
        default:
            throw reader.error(kindNode, "\(key).kind", "unknown fault kind \"\(kind)\" (known: \(Fault.kinds.joined(separator: ", ")))")
        }
    }

    private func expectations(_ node: Node, action: StepAction, key: String) throws(ScenarioError) -> Expectations {
        var allowed: [String]
        switch action {
        case .backup: allowed = ["archive", "earlier_backups"]
        case .verify: allowed = ["earlier_backups"]
        case .restore: allowed = ["rows_match_manifest", "used_backup", "rto_max", "rpo_max", "rpo_min", "earlier_backups"]
        case .status: allowed = ["status"]
        default:
            throw reader.error(node, key, "\(action.kind) steps take no expectations")
        }
        allowed = ["outcome", "exit_code", "message_contains"] + allowed
        let map = try reader.mapping(node, key: key, allowed: allowed)
        var expect = Expectations()
        if let value = map.node("outcome") {
            let text = try reader.string(value, key: "\(key).outcome")
            guard let outcome = Expectations.Outcome(rawValue: text) else { throw reader.error(value, "\(key).outcome", "must be success or failure") }
            expect.outcome = outcome
        }
        if let value = map.node("exit_code") { expect.exitCode = Int32(try reader.integer(value, key: "\(key).exit_code", in: 0...255)) }
        if let value = map.node("message_contains") { expect.messageContains = try reader.stringList(value, key: "\(key).message_contains") }
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
        if let value = map.node("rto_max") { expect.rtoMax = try reader.duration(value, key: "\(key).rto_max") }
        if let value = map.node("rpo_max") { expect.rpoMax = try reader.duration(value, key: "\(key).rpo_max") }
        if let value = map.node("rpo_min") { expect.rpoMin = try reader.duration(value, key: "\(key).rpo_min") }
        return expect
    }
}
