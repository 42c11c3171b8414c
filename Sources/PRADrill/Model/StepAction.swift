/// What a step does: one configured value of a kind in ``StepRegistry`` (Steps/), with its
/// options as the scenario gave them. Each kind's file adds the constructors scenarios in code
/// use (`.backup`, `.restore(archive:targetDatabase:force:)`, `.sql(...)`).
public struct StepAction: Sendable, Equatable, CustomStringConvertible {
    /// The kind's value: what the loader validates and the runner runs.
    let implementation: any DrillStep

    init(_ implementation: any DrillStep) {
        self.implementation = implementation
    }

    /// The kind of step, as its YAML action key names it.
    public var kind: StepKind { type(of: implementation).kind }

    /// True when the step runs `pra` as a child.
    public var runsPra: Bool { type(of: implementation).runsPra }

    /// The step in words, for the step record and logs: `restore the previous archive (force)`.
    public var description: String { implementation.description }

    /// The same step drawing its random choices from `seed` (`pra drill run --seed`).
    func reseeded(_ seed: UInt64) -> StepAction {
        StepAction(implementation.reseeded(seed))
    }

    /// The same kind with the same options.
    public static func == (lhs: StepAction, rhs: StepAction) -> Bool {
        lhs.implementation.isSame(as: rhs.implementation)
    }
}
