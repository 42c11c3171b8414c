import Foundation
import PRACore

/// One kind of fault a scenario can inject: one type in Faults/, listed once in
/// ``FaultRegistry/all``. A value of the type is one configured fault (its parameters read
/// from the scenario).
///
/// The type declares everything the rest of the drill needs, so adding a kind touches nothing
/// else: the loader reads its ``parameters`` (and rejects the others with file:line:key),
/// the step-order validator checks ``allowedSteps`` and the ``archives`` it acts on, the runner
/// follows its ``timing`` and ``undo``, skips scenarios when ``unavailableReason()`` says so,
/// and `pra drill faults` and docs/scenarios.md describe it from the same declarations.
///
/// What a fault can act on, through the ``ScenarioContext`` it is applied with:
/// - the scenario's backup directory (`backupDirectory`) and work directory (`workDirectory`);
/// - the cluster (`cluster`: crash, stop, start, its data directory; `adminConnection()`);
/// - the environment of every later `pra` child (`override(_:_:)`), e.g. to point `PGHOST`
///   or `REMOTE_TARGET` somewhere else;
/// - later undoing: ``revert(_:)`` after the step it was injected into (``FaultUndo/afterStep``),
///   `atEnd(_:)` when the scenario ends, or `holdUntilUndone(_:undo:)` for a later fault step
///   to undo with `undoHeld(_:)` (``FaultUndo/byLaterFault(_:)``).
protocol FaultKind: Sendable, Equatable, CustomStringConvertible {
    /// The name scenarios use: `kind: disk-full`.
    static var name: String { get }
    /// What it does, in a sentence or two (reference and docs).
    static var summary: String { get }
    /// The parameters it reads, with their defaults; every other parameter is an error.
    static var parameters: [FaultParameter] { get }
    /// Where it may appear: `.fault` as a step of its own, the `pra` steps as `inject:`.
    static var allowedSteps: [StepKind] { get }
    /// When it strikes relative to the step it is injected into.
    static var timing: FaultTiming { get }
    /// What undoes it.
    static var undo: FaultUndo { get }
    /// What the machine needs for it (root, a program), in words; `nil` when nothing.
    static var requirement: String? { get }
    /// It acts on the WAL archive, so the scenario must archive (`archiving:`).
    static var needsArchiving: Bool { get }
    /// Why it cannot run on this machine (the scenario is then skipped, never passed), or `nil`.
    static func unavailableReason() -> String?

    /// Reads the fault's parameters; errors name the file, line and key.
    init(_ parameters: FaultParameterReader) throws(ScenarioError)

    /// The archives it acts on, which enough earlier backup steps must have made.
    var archives: [ArchiveSelector] { get }
    /// The same fault drawing its random choices from `seed` (`pra drill run --seed`).
    func reseeded(_ seed: UInt64) -> Self
    /// Injects it; returns what happened, for the step log.
    func apply(_ context: ScenarioContext, step: StepAction) throws -> String
    /// Undoes what can be undone (see ``undo``); a no-op for faults that stay.
    func revert(_ context: ScenarioContext)
}

extension FaultKind {
    static var parameters: [FaultParameter] { [] }
    static var timing: FaultTiming { .atTrigger }
    static var requirement: String? { nil }
    static var needsArchiving: Bool { false }
    static func unavailableReason() -> String? { nil }
    var archives: [ArchiveSelector] { [] }
    func reseeded(_ seed: UInt64) -> Self { self }
    func revert(_ context: ScenarioContext) {}
    var description: String { Self.name }

    /// True when `other` is the same kind with the same parameters.
    func isSame(as other: any FaultKind) -> Bool {
        (other as? Self) == self
    }
}
