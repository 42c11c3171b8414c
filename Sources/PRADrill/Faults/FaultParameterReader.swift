import Yams

/// A fault's YAML mapping, read against its kind's declared ``FaultParameter``s: an absent
/// key takes the declared default, a required one must be there, and every error names the
/// file, the line and the key (`steps[2].inject.free`).
struct FaultParameterReader {
    let kind: String
    let declared: [FaultParameter]
    let mapping: NodeReader.Mapping
    let reader: NodeReader
    /// The mapping's key, e.g. `steps[2].inject`.
    let key: String

    /// The node given for `name`, if any.
    func node(_ name: String) -> Node? {
        mapping.node(name)
    }

    /// An error at `name`'s node (or the mapping when absent).
    func error(_ name: String, _ message: String) -> ScenarioError {
        reader.error(mapping.node(name) ?? mapping.node, "\(key).\(name)", message)
    }

    func size(_ name: String) throws(ScenarioError) -> UInt64 {
        try reader.size(try value(name), key: "\(key).\(name)")
    }

    func duration(_ name: String) throws(ScenarioError) -> Double {
        try reader.duration(try value(name), key: "\(key).\(name)")
    }

    func wholeNumber(_ name: String, in range: ClosedRange<Int>) throws(ScenarioError) -> Int {
        try reader.integer(try value(name), key: "\(key).\(name)", in: range)
    }

    /// A number in [0, 1).
    func fraction(_ name: String) throws(ScenarioError) -> Double {
        let node = try value(name)
        let number = try reader.number(node, key: "\(key).\(name)")
        guard number >= 0 && number < 1 else { throw reader.error(node, "\(key).\(name)", "must be in [0, 1)") }
        return number
    }

    func archive(_ name: String) throws(ScenarioError) -> ArchiveSelector {
        try reader.archive(try value(name), key: "\(key).\(name)")
    }

    /// A table name; `any` (the word) is `nil`.
    func table(_ name: String) throws(ScenarioError) -> String? {
        let node = try value(name)
        let text = try reader.string(node, key: "\(key).\(name)")
        guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0 == "\"" }) else {
            throw reader.error(node, "\(key).\(name)", "\"\(text)\" is not a table name (schema.name or name)")
        }
        return text == "any" ? nil : text
    }

    /// One of the cases of `Choice`, by its raw value; `what` names it in the "unknown" error
    /// ("corruption mode").
    func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, what: String) throws(ScenarioError) -> Choice where Choice.RawValue == String {
        let node = try value(name)
        let text = try reader.string(node, key: "\(key).\(name)")
        guard let choice = Choice(rawValue: text) else {
            throw reader.error(node, "\(key).\(name)", "unknown \(what) \"\(text)\" (known: \(Choice.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return choice
    }

    /// The node given for `name`, else its declared default; a required parameter must be given.
    private func value(_ name: String) throws(ScenarioError) -> Node {
        if let given = mapping.node(name) { return given }
        guard let parameter = declared.first(where: { $0.name == name }) else {
            preconditionFailure("\(kind) reads \(name) but does not declare it in its parameters")
        }
        guard let fallback = parameter.defaultValue else { return try mapping.required(name) }
        return Node(fallback)
    }
}
