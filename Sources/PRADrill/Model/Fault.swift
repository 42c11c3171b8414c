/// One configured fault of a scenario: a value of one of the kinds in ``FaultRegistry``
/// (Faults/), with its parameters as the scenario gave them.
public struct Fault: Sendable, Equatable, CustomStringConvertible {
    /// The kind's value: what the runner applies.
    let implementation: any FaultKind

    init(_ implementation: any FaultKind) {
        self.implementation = implementation
    }

    /// The kind's name, as scenarios write it: `disk-full`.
    public var kind: String { type(of: implementation).name }

    /// The fault with its parameters, for logs: `disk-full (64 KiB free)`.
    public var description: String { implementation.description }

    /// The same fault drawing its random choices from `seed` (faults without any are unchanged).
    func reseeded(_ seed: UInt64) -> Fault {
        Fault(implementation.reseeded(seed))
    }

    /// The same kind with the same parameters.
    public static func == (lhs: Fault, rhs: Fault) -> Bool {
        lhs.implementation.isSame(as: rhs.implementation)
    }
}
