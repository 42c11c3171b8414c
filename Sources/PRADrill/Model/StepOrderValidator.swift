/// Rejects step orders that cannot work: using an archive before any backup made it,
/// measuring RTO/RPO without a disaster (or RPO without a workload), injecting a fault
/// where it cannot act. Each step kind checks its own place (``DrillStep/validate(_:order:)``).
struct StepOrderValidator {
    let file: String

    func validate(_ scenario: Scenario) throws(ScenarioError) {
        var order = StepOrder(file: file, scenario: scenario)
        for (index, step) in scenario.steps.enumerated() {
            order.begin(step, index: index)
            try step.action.implementation.validate(step, order: &order)
            if let injected = step.fault { try order.checkInjected(injected) }
            // Counted after the step's own checks: a fault injected into a backup cannot use its archive.
            step.action.implementation.counted(in: &order)
        }
    }
}
