import PRADrillResults

extension StepKind {
    /// `fault:` — a fault applied by the runner between steps.
    public static let fault = StepKind("fault")
}

/// `fault: {kind: ..., parameters}`: applies a fault of ``FaultRegistry`` between steps; it
/// stays until something undoes it (a later fault step, or the scenario's end).
struct FaultStep: DrillStep {
    static let kind = StepKind.fault
    var fault: Fault

    static func read(_ options: StepOptions) throws(ScenarioError) -> FaultStep {
        FaultStep(fault: try options.reader.fault(options.node, key: options.key, extraKeys: []).fault)
    }

    var description: String { "fault \(fault)" }

    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError) {
        let kind = type(of: fault.implementation)
        if kind.needsArchiving { try order.needArchiving(fault.kind) }
        guard kind.allowedSteps.contains(.fault) else {
            throw order.fail("\(fault.kind) acts on a running step: inject it into a \(StepKind.listed(kind.allowedSteps, conjunction: "or")) step")
        }
        for archive in fault.implementation.archives { try order.needBackups(archive, what: fault.kind) }
    }

    func unavailableReason() -> String? {
        type(of: fault.implementation).unavailableReason()
    }

    func reseeded(_ seed: UInt64) -> FaultStep {
        FaultStep(fault: fault.reseeded(seed))
    }

    func run(_ run: StepRun) -> StepOutcome {
        do {
            let what = try fault.implementation.apply(run.context, step: run.step.action)
            run.context.log("\(run.label): \(fault.kind): \(what)")
            if type(of: fault.implementation).undo == .afterStep {
                run.context.atEnd { fault.implementation.revert(run.context) }
            }
            return StepOutcome()
        } catch {
            run.context.log("\(run.label): \(fault.kind) FAILED to apply: \(error)")
            return StepOutcome(checks: [run.failure("\(fault.kind) applied", expected: "applied", actual: "\(error)", message: "expected the fault to apply, got: \(error)")])
        }
    }
}

extension StepAction {
    /// `fault: {kind: ...}`: applies `fault` between steps.
    static func fault(_ fault: Fault) -> StepAction {
        StepAction(FaultStep(fault: fault))
    }
}
