import Foundation
import PRACore
import Yams

/// Reads scenario YAML into ``Scenario`` values, rejecting unknown keys, wrong types,
/// unknown fault kinds and impossible step orders with an error naming file, line and key.
public struct ScenarioLoader {
    public init() {}

    /// The scenario files under `paths` (files as given; directories: their *.yaml / *.yml, sorted).
    public static func files(in paths: [String]) throws(ScenarioError) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ScenarioError(file: path, line: nil, key: "", message: "no such file or directory")
            }
            if isDirectory.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                files += names.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }

    public func load(file: String) throws(ScenarioError) -> Scenario {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(file: file, line: nil, key: "", message: "cannot read the file")
        }
        return try parse(text, file: file)
    }

    public func parse(_ text: String, file: String) throws(ScenarioError) -> Scenario {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScenarioError(file: file, line: 1, key: "", message: "the file is empty")
            }
            root = node
        } catch let error as ScenarioError {
            throw error
        } catch YamlError.duplicatedKeysInMapping(let duplicates, _) {
            let key = duplicates.first ?? "?"
            throw ScenarioError(file: file, line: Self.secondOccurrence(of: key, in: text), key: key, message: "key given twice")
        } catch let error as YamlError {
            throw ScenarioError(file: file, line: Self.line(of: error), key: "", message: "not valid YAML: \(Self.problem(of: error))")
        } catch {
            throw ScenarioError(file: file, line: nil, key: "", message: "not valid YAML: \(error)")
        }
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, key: "", allowed: ["name", "description", "tags", "fixture", "scale", "targets", "workload", "archiving", "env", "steps"])
        var scenario = Scenario(name: try reader.string(top.required("name"), key: "name"), steps: [])
        scenario.file = file
        guard scenario.name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) != nil else {
            throw reader.error(top.node("name"), "name", "use letters, digits, '.', '_' and '-' only (it names reports and directories)")
        }
        if let node = top.node("description") { scenario.description = try reader.string(node, key: "description") }
        if let node = top.node("tags") { scenario.tags = try reader.stringList(node, key: "tags") }
        if let node = top.node("fixture") { scenario.fixture = try reader.string(node, key: "fixture") }
        if let node = top.node("scale") {
            let scale = try reader.number(node, key: "scale")
            guard scale > 0 && scale <= 1000 else { throw reader.error(node, "scale", "must be in (0, 1000]") }
            scenario.scale = scale
        }
        if let node = top.node("targets") {
            let targets = try reader.mapping(node, key: "targets", allowed: ["rpo", "rto"])
            if let rpo = targets.node("rpo") { scenario.rpoTarget = try reader.duration(rpo, key: "targets.rpo") }
            if let rto = targets.node("rto") { scenario.rtoTarget = try reader.duration(rto, key: "targets.rto") }
        }
        if let node = top.node("workload") {
            let workload = try reader.mapping(node, key: "workload", allowed: ["heartbeats_per_second"])
            let rateNode = try workload.required("heartbeats_per_second")
            let rate = try reader.number(rateNode, key: "workload.heartbeats_per_second")
            guard rate > 0 && rate <= 1000 else { throw reader.error(rateNode, "workload.heartbeats_per_second", "must be in (0, 1000]") }
            scenario.heartbeatRate = rate
        }
        if let node = top.node("archiving") {
            let archiving = try reader.mapping(node, key: "archiving", allowed: ["archive_timeout"])
            let timeoutNode = try archiving.required("archive_timeout")
            let timeout = try reader.duration(timeoutNode, key: "archiving.archive_timeout")
            guard timeout >= 1 && timeout <= 3600 && timeout.rounded() == timeout else {
                throw reader.error(timeoutNode, "archiving.archive_timeout", "must be whole seconds in [1s, 1h] (PostgreSQL's archive_timeout)")
            }
            scenario.archiveTimeout = timeout
        }
        if let node = top.node("env") { scenario.environment = try reader.environment(node, key: "env") }
        let stepsNode = try top.required("steps")
        guard case .sequence(let sequence) = stepsNode, !sequence.isEmpty else {
            throw reader.error(stepsNode, "steps", "must be a non-empty list of steps")
        }
        for (index, node) in sequence.enumerated() {
            scenario.steps.append(try StepReader(reader: reader, key: "steps[\(index + 1)]").step(node))
        }
        try StepOrderValidator(file: file).validate(scenario)
        return scenario
    }

    /// The line where `key:` appears for the second time (where a duplicate starts).
    static func secondOccurrence(of key: String, in text: String) -> Int? {
        var seen = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("- ") { trimmed = String(trimmed.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
            if trimmed.hasPrefix(key + ":") || trimmed.contains("{\(key):") || trimmed.contains(", \(key):") {
                seen += 1
                if seen == 2 { return index + 1 }
            }
        }
        return nil
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}

/// Typed access to YAML nodes with errors that carry the line and key.
struct NodeReader {
    let file: String

    /// A mapping whose keys are all in `allowed`.
    struct Mapping {
        let node: Node
        let entries: [String: Node]
        let reader: NodeReader
        let key: String

        func node(_ name: String) -> Node? { entries[name] }

        func required(_ name: String) throws(ScenarioError) -> Node {
            guard let value = entries[name] else {
                throw reader.error(node, key.isEmpty ? name : "\(key).\(name)", "required key is missing")
            }
            return value
        }
    }

    func error(_ node: Node?, _ key: String, _ message: String) -> ScenarioError {
        ScenarioError(file: file, line: node?.mark?.line, key: key, message: message)
    }

    func mapping(_ node: Node, key: String, allowed: [String]) throws(ScenarioError) -> Mapping {
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return Mapping(node: node, entries: [:], reader: self, key: key)
        }
        guard case .mapping(let mapping) = node else {
            throw error(node, key.isEmpty ? "(document)" : key, "must be a mapping (key: value lines)")
        }
        var entries: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let name = keyNode.string else { throw error(keyNode, key, "keys must be plain words") }
            let path = key.isEmpty ? name : "\(key).\(name)"
            guard allowed.contains(name) else {
                throw error(keyNode, path, "unknown key (allowed here: \(allowed.joined(separator: ", ")))")
            }
            guard entries[name] == nil else { throw error(keyNode, path, "key given twice") }
            entries[name] = value
        }
        return Mapping(node: node, entries: entries, reader: self, key: key)
    }

    func string(_ node: Node, key: String) throws(ScenarioError) -> String {
        guard case .scalar(let scalar) = node else { throw error(node, key, "must be a text value") }
        return scalar.string
    }

    func stringList(_ node: Node, key: String) throws(ScenarioError) -> [String] {
        if case .scalar = node { return [try string(node, key: key)] }
        guard case .sequence(let sequence) = node else { throw error(node, key, "must be a list of text values") }
        var values: [String] = []
        for item in sequence { values.append(try string(item, key: key)) }
        return values
    }

    func stringMap(_ node: Node, key: String) throws(ScenarioError) -> [String: String] {
        guard case .mapping(let mapping) = node else { throw error(node, key, "must be a mapping of NAME: value") }
        var values: [String: String] = [:]
        for (name, value) in mapping {
            guard let text = name.string else { throw error(name, key, "names must be text") }
            values[text] = try string(value, key: "\(key).\(text)")
        }
        return values
    }

    /// Variables the runner owns: where the scenario's server and files are. A scenario that set
    /// them could make its steps reach a server the drill did not start.
    /// Timeouts (`PGCONNECT_TIMEOUT`) say how long, never where: a scenario may shorten them.
    static func isRunnerOwned(_ name: String) -> Bool {
        (name.hasPrefix("PG") && name != Setting.pgConnectTimeout.name) || [Setting.databaseURL, .backupDir, .reportDir, .evidenceFile, .praClusterDir].map(\.name).contains(name)
    }

    /// An `env:` mapping: NAME: text, refusing the connection and location variables the runner owns.
    func environment(_ node: Node, key: String) throws(ScenarioError) -> [String: String] {
        let values = try stringMap(node, key: key)
        if case .mapping(let mapping) = node {
            for (name, value) in mapping {
                guard let text = name.string, Self.isRunnerOwned(text) else { continue }
                // Another database of the scratch server is fine, as a plain name (no connection string).
                if text == Setting.pgDatabase.name, let database = value.string, !database.isEmpty,
                   database.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) { continue }
                throw error(name, "\(key).\(text)", "\(text) cannot be set by a scenario: connection and location variables (PG* but PGCONNECT_TIMEOUT, DATABASE_URL, BACKUP_DIR, REPORT_DIR, EVIDENCE_FILE) are the runner's, so that a drill only ever reaches the scratch server it started" + (text == Setting.pgDatabase.name ? " (PGDATABASE may name another database of that server, as a plain name)" : ""))
            }
        }
        return values
    }

    func number(_ node: Node, key: String) throws(ScenarioError) -> Double {
        guard case .scalar(let scalar) = node, let value = Double(scalar.string), value.isFinite else { throw error(node, key, "must be a number") }
        return value
    }

    func integer(_ node: Node, key: String) throws(ScenarioError) -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else { throw error(node, key, "must be a whole number") }
        return value
    }

    /// A whole number within `range`.
    func integer(_ node: Node, key: String, in range: ClosedRange<Int>) throws(ScenarioError) -> Int {
        let value = try integer(node, key: key)
        guard range.contains(value) else { throw error(node, key, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return value
    }

    func bool(_ node: Node, key: String) throws(ScenarioError) -> Bool {
        guard case .scalar(let scalar) = node else { throw error(node, key, "must be true or false") }
        switch scalar.string.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw error(node, key, "must be true or false")
        }
    }

    func duration(_ node: Node, key: String) throws(ScenarioError) -> Double {
        let text = try string(node, key: key)
        guard let seconds = DurationParser.seconds(text), seconds <= 7 * 86400 else {
            throw error(node, key, "\"\(text)\" is not a duration up to 7d (examples: 0.5s, 30s, 5m, 1h)")
        }
        return seconds
    }

    func size(_ node: Node, key: String) throws(ScenarioError) -> UInt64 {
        let text = try string(node, key: key)
        guard let bytes = ByteSizeParser.bytes(text), bytes <= 1 << 40 else { throw error(node, key, "\"\(text)\" is not a size up to 1TiB (examples: 65536, 64KiB, 1MiB)") }
        return bytes
    }

    func archive(_ node: Node, key: String) throws(ScenarioError) -> ArchiveSelector {
        let text = try string(node, key: key)
        switch text {
        case "newest": return .newest
        case "previous": return .previous
        case "oldest": return .oldest
        default:
            guard let index = Int(text), index >= 0 else {
                throw error(node, key, "\"\(text)\" is not an archive (newest, previous, oldest, or 0, 1, 2... counting back from the newest)")
            }
            return .index(index)
        }
    }
}
