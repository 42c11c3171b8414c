/// The kinds of step a scenario has, by the action key that names them in YAML.
public enum StepKind: String, Sendable, Equatable, CaseIterable, Encodable {
    /// `pra backup --full`.
    case backup
    /// `pra verify`.
    case verify
    /// `pra restore`.
    case restore
    /// `pra status`.
    case status
    /// A fault applied by the runner between steps.
    case fault
    /// A disaster injected by the runner (starts the RTO clock).
    case disaster
    /// A pause.
    case wait
    /// A named moment, for point-in-time restores.
    case mark

    /// True for the steps that run the `pra` executable as a child (and so take `inject`,
    /// `expect` and `env`).
    public var runsPra: Bool {
        switch self {
        case .backup, .verify, .restore, .status: return true
        case .fault, .disaster, .wait, .mark: return false
        }
    }

    /// The steps that run `pra`, in catalogue order.
    public static let praSteps = allCases.filter(\.runsPra)

    /// The kinds' names in words: "backup", "backup or restore", "backup, verify and restore"
    /// (with `conjunction`), for messages.
    public static func listed(_ kinds: [StepKind], conjunction: String) -> String {
        let names = kinds.map(\.rawValue)
        guard names.count > 1, let last = names.last else { return names.first ?? "no" }
        return names.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}
