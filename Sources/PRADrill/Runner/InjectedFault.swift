import PRADrillResults

/// The fault injected into a `pra` step: applied before the step, or during it from a thread
/// of its own (``FaultTrigger``), and undone after the step when its kind is undone then.
struct InjectedFault {
    let fault: any FaultKind
    /// The trigger watching the running step; `nil` when the fault was applied before it.
    private let during: FaultTrigger?
    private let run: StepRun

    /// Applies the step's fault before the step, or starts its trigger; with the failed check
    /// when it could not be applied before the step. `nil` when nothing is injected.
    static func start(_ run: StepRun) -> (fault: InjectedFault?, checks: [CheckResult]) {
        guard let timed = run.step.fault else { return (nil, []) }
        let fault = timed.fault.implementation
        guard timed.trigger == .before && type(of: fault).timing != .duringStep else {
            let trigger = FaultTrigger(fault: fault, trigger: timed.trigger, context: run.context, step: run.step.action, label: run.label)
            trigger.start()
            return (InjectedFault(fault: fault, during: trigger, run: run), [])
        }
        var checks: [CheckResult] = []
        do {
            run.context.log("\(run.label): \(timed.fault.kind): \(try fault.apply(run.context, step: run.step.action))")
        } catch {
            checks.append(run.failure("\(timed.fault.kind) applied", expected: "applied", actual: "\(error)", message: "expected the fault to apply before the step, got: \(error)"))
        }
        return (InjectedFault(fault: fault, during: nil, run: run), checks)
    }

    /// Marks the step finished and waits for the trigger: the failed check when the fault did
    /// not strike during the step.
    func finish() -> [CheckResult] {
        guard let during else { return [] }
        let applied = during.finish()
        guard !applied.applied else { return [] }
        return [run.failure("\(during.kind) injected during the step", expected: "injected", actual: applied.note, message: "expected the fault to strike during the step, got: \(applied.note)")]
    }

    /// Undoes the fault after the step, when its kind is undone then.
    func revert() {
        guard type(of: fault).undo == .afterStep else { return }
        fault.revert(run.context)
    }
}
