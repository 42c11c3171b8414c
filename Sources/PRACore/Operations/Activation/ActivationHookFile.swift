import Foundation

/// `ACTIVATION_HOOKS_FILE`: the switch hooks, in the order they run, as JSON:
///
///     {"hooks": [
///       {"name": "load balancer", "command": ["/usr/local/bin/lb-switch", "--to", "db2"], "timeout": "30s"},
///       {"name": "dns", "command": ["/usr/local/bin/dns-update", "db.example.org", "10.0.0.7"]}
///     ]}
///
/// `command` is an argument array whose first element is an absolute path (no shell, no PATH
/// lookup); `timeout` is a duration (default 60s). Unknown keys are refused, so a misspelt
/// `timout` is never silently ignored.
public enum ActivationHookFile {
    /// The hooks in `path`.
    public static func load(path: String) throws(ActivationError) -> [ActivationHook] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ActivationError("ACTIVATION_HOOKS_FILE \(path) cannot be read")
        }
        return try parse(data, source: path)
    }

    /// The hooks in `data`; errors name `source` and the hook.
    public static func parse(_ data: Data, source: String) throws(ActivationError) -> [ActivationHook] {
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ActivationError("\(source) is not JSON: \(error.localizedDescription)")
        }
        guard let root = document as? [String: Any], let entries = root["hooks"] as? [Any] else {
            throw ActivationError("\(source): expected {\"hooks\": [{\"name\": ..., \"command\": [\"/path/program\", \"arg\"], \"timeout\": \"30s\"}]}")
        }
        if let unknown = root.keys.first(where: { $0 != "hooks" }) { throw ActivationError("\(source): unknown key \"\(unknown)\" (only \"hooks\")") }
        var hooks: [ActivationHook] = []
        for (index, entry) in entries.enumerated() {
            let place = "\(source): hook \(index + 1)"
            guard let object = entry as? [String: Any] else { throw ActivationError("\(place) is not an object") }
            if let unknown = object.keys.sorted().first(where: { !["name", "command", "timeout"].contains($0) }) {
                throw ActivationError("\(place): unknown key \"\(unknown)\" (name, command, timeout)")
            }
            guard let command = object["command"] as? [Any], !command.isEmpty else {
                throw ActivationError("\(place): \"command\" must be a non-empty array of strings (the program's absolute path, then its arguments)")
            }
            let words = command.compactMap { $0 as? String }
            guard words.count == command.count else { throw ActivationError("\(place): every element of \"command\" must be a string") }
            guard words[0].hasPrefix("/") else {
                throw ActivationError("\(place): the program \(words[0]) must be an absolute path (hooks run without a shell or PATH lookup)")
            }
            var timeout = ActivationHook.defaultTimeout
            if let value = object["timeout"] {
                guard let text = (value as? String) ?? (value as? NSNumber).map({ "\($0)" }), let seconds = DurationParser.seconds(text), seconds > 0 else {
                    throw ActivationError("\(place): \"timeout\" \(value) is not a duration (30s, 2m)")
                }
                timeout = seconds
            }
            let name: String
            if let value = object["name"] {
                guard let text = value as? String, !text.isEmpty else { throw ActivationError("\(place): \"name\" must be a non-empty string") }
                name = text
            } else {
                name = (words[0] as NSString).lastPathComponent
            }
            hooks.append(ActivationHook(name: name, command: words, timeoutSeconds: timeout))
        }
        return hooks
    }
}
