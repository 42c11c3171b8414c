import Foundation
import PRADrillResults

/// What a step runs with: the step as the scenario wrote it, its label for logs and check
/// names (`step 3 backup`), the scenario's world and the measurement so far.
struct StepRun {
    let step: Step
    let label: String
    let context: ScenarioContext
    let state: MeasurementState
    let scenario: Scenario
    let options: DrillOptions

    /// A check named `<label>: <what>`, with a message when it failed: `expected X, got Y`.
    func check(_ what: String, _ passed: Bool, expected: String, actual: String, seconds: Double = 0) -> CheckResult {
        CheckResult(name: "\(label): \(what)", passed: passed, expected: expected, actual: actual, message: passed ? nil : "expected \(expected), got \(actual)", seconds: seconds)
    }

    /// A failed check for something the step could not do (`<label>: <what>`), with its own message.
    func failure(_ what: String, expected: String, actual: String, message: String) -> CheckResult {
        CheckResult(name: "\(label): \(what)", passed: false, expected: expected, actual: actual, message: message)
    }
}

/// What a step did: its checks, and for the step record what its `pra` child (if any) answered
/// and what it measured.
struct StepOutcome {
    var checks: [CheckResult] = []
    var exitCode: Int32?
    var errorLine: String?
    /// The human-readable lines the command prints without `--json` (``PraStep/messages(of:)``).
    var messages: [String]?
    /// A recovery step's own RTO and RPO.
    var measured: RecoveryMeasurement?
    /// A disaster step's class of disaster.
    var disasterClass: DisasterClass?
}
