/// Every step kind a scenario can use. This list drives the loader (which action keys exist,
/// the "a step needs one action: ..." messages), the runner, and the reference
/// (docs/scenarios.md, whose step table a test checks against it).
///
/// A new step kind is one new file in Steps/ (a type conforming to ``DrillStep``, or
/// ``PraStep`` when it runs `pra`) and one line here. The order is the order of the messages.
enum StepRegistry {
    static let all: [any DrillStep.Type] = [
        BackupStep.self,
        VerifyStep.self,
        RestoreStep.self,
        StatusStep.self,
        FaultStep.self,
        DisasterStep.self,
        WaitStep.self,
        MarkStep.self,
        SQLStep.self,
        StandbyStep.self,
        ActivateStep.self,
    ]

    /// The kind whose YAML key is `name`.
    static func type(named name: String) -> (any DrillStep.Type)? {
        all.first { $0.kind.rawValue == name }
    }

    /// Every kind's YAML key, in registry order.
    static var names: [String] { all.map { $0.kind.rawValue } }
}
