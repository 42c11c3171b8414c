import Yams

/// What a step kind reads its options from: the value after its YAML key, with the reader that
/// turns nodes into typed values and errors carrying the file, line and key.
struct StepOptions {
    /// The value after the key: `{kind: base}` of `- backup: {kind: base}`, `2s` of `- wait: 2s`.
    let node: Node
    let reader: NodeReader
    /// The key path of the value, for messages: `steps[2].backup`.
    let key: String

    /// The value as a mapping whose keys are all in `allowed` (empty values give an empty mapping).
    func mapping(allowed: [String]) throws(ScenarioError) -> NodeReader.Mapping {
        try reader.mapping(node, key: key, allowed: allowed)
    }

    /// The key path of the option `name`: `steps[2].backup.kind`.
    func path(_ name: String) -> String {
        "\(key).\(name)"
    }

    /// An error at the value, under its key.
    func error(_ message: String) -> ScenarioError {
        reader.error(node, key, message)
    }

    /// An error at `node` (`nil`: the value) under the option `name` (`nil`: the value's key).
    func error(_ node: Node?, option name: String? = nil, _ message: String) -> ScenarioError {
        reader.error(node ?? self.node, name.map(path) ?? key, message)
    }
}
