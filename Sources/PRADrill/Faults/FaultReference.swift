/// What `pra drill faults` shows of one fault kind, built from its declarations.
public struct FaultReference: Sendable, Encodable {
    /// The name scenarios use after `kind:`.
    public var name: String
    /// What it does.
    public var summary: String
    /// What it reads from its mapping, with defaults.
    public var parameters: [FaultParameter]
    /// `fault` when it can be a step of its own, then the `pra` steps it can be injected into.
    public var allowedSteps: [StepKind]
    /// When it strikes relative to the step it is injected into.
    public var timing: FaultTiming
    /// What undoes it, in words.
    public var undo: String
    /// What the machine needs for it, in words.
    public var requirement: String?
    /// Why it cannot run on this machine, when probed and it cannot.
    public var unavailableHere: String?

    init(_ kind: any FaultKind.Type, probeAvailability: Bool) {
        name = kind.name
        summary = kind.summary
        parameters = kind.parameters
        allowedSteps = kind.allowedSteps
        timing = kind.timing
        // A kind that is only ever a step of its own (s3-target) is undone when the scenario ends.
        undo = kind.undo == .afterStep && !kind.allowedSteps.contains(where: \.runsPra) ? "when the scenario ends" : kind.undo.explanation
        requirement = kind.requirement
        unavailableHere = probeAvailability ? kind.unavailableReason() : nil
    }

    /// The reference of every registered kind, in registry order. With `probeAvailability`,
    /// each kind's requirements are checked on this machine (disk-full mounts a tiny tmpfs).
    public static func all(probeAvailability: Bool) -> [FaultReference] {
        FaultRegistry.all.map { FaultReference($0, probeAvailability: probeAvailability) }
    }
}
