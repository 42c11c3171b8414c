import Foundation
import PRADrillResults

/// One kind of step a scenario can take: one type in Steps/, listed once in
/// ``StepRegistry/all``. A value of the type is one configured step (its options read from the
/// scenario), held by ``StepAction``.
///
/// The type declares everything the rest of the drill needs, so adding a kind touches nothing
/// else: the loader finds it by its ``kind`` (the YAML key) and lets it ``read(_:)`` its options
/// (any other key is an error naming file, line and key) and accepts the ``expectationKeys`` it
/// names; the step-order validator calls ``validate(_:order:)`` and ``counted(in:)``; the runner
/// skips the scenario when ``unavailableReason()`` says so, and calls ``run(_:)``. Steps that
/// run `pra` conform to ``PraStep``, which runs the child, its injected fault and the common
/// expectations for them.
protocol DrillStep: Sendable, Equatable, CustomStringConvertible {
    /// The YAML key that names the step: `- backup: {}`.
    static var kind: StepKind { get }
    /// It runs `pra` as a child, and so takes `inject` and `env` (``PraStep``).
    static var runsPra: Bool { get }
    /// Reads the value after the key; errors name the file, line and key.
    static func read(_ options: StepOptions) throws(ScenarioError) -> Self

    /// The `expect:` keys it accepts; `nil`: it takes no expectations.
    var expectationKeys: [String]? { get }
    /// `inject: {after_bytes: ...}` may strike it (it writes an archive whose bytes are counted).
    var countsArchiveBytes: Bool { get }
    /// How it recovers the database, when it is a recovery step (recorded per disaster class).
    var recoveryMethod: RecoveryMethod? { get }
    /// Rejects a place in the scenario where it cannot work, from what came before (``StepOrder``).
    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError)
    /// Counts what it makes once its step's injected fault was checked (a fault injected into a
    /// backup cannot use that backup's archive).
    func counted(in order: inout StepOrder)
    /// Why it cannot run on this machine (the scenario is then skipped, never passed), or `nil`.
    func unavailableReason() -> String?
    /// The same step drawing its random choices from `seed` (`pra drill run --seed`).
    func reseeded(_ seed: UInt64) -> Self
    /// Performs the step and judges it.
    func run(_ run: StepRun) -> StepOutcome
}

extension DrillStep {
    static var runsPra: Bool { false }
    var expectationKeys: [String]? { nil }
    var countsArchiveBytes: Bool { false }
    var recoveryMethod: RecoveryMethod? { nil }
    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError) {}
    func counted(in order: inout StepOrder) {}
    func unavailableReason() -> String? { nil }
    func reseeded(_ seed: UInt64) -> Self { self }

    /// True when `other` is the same kind with the same options.
    func isSame(as other: any DrillStep) -> Bool {
        (other as? Self) == self
    }
}
