/// A kind of step, by the action key that names it in YAML (`backup:`, `restore:`, ...).
///
/// The kinds are the types of ``StepRegistry``: each declares its own constant in its file in
/// Steps/ (`extension StepKind { public static let backup = StepKind("backup") }`), so a new kind adds
/// no case here.
public struct StepKind: Sendable, Hashable, Encodable, CustomStringConvertible {
    /// The YAML key.
    public let rawValue: String

    init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// True for the steps that run the `pra` executable as a child (and so take `inject`,
    /// `expect` and `env`).
    public var runsPra: Bool { StepRegistry.type(named: rawValue)?.runsPra ?? false }

    /// Every registered kind, in registry order.
    public static var allCases: [StepKind] { StepRegistry.all.map { $0.kind } }

    /// The steps that run `pra`, in registry order.
    public static var praSteps: [StepKind] { allCases.filter(\.runsPra) }

    /// The kinds' names in words: "backup", "backup or restore", "backup, verify and restore"
    /// (with `conjunction`), for messages.
    public static func listed(_ kinds: [StepKind], conjunction: String) -> String {
        let names = kinds.map(\.rawValue)
        guard names.count > 1, let last = names.last else { return names.first ?? "no" }
        return names.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }

    /// Encoded as its YAML key, `"backup"`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
