import Foundation

extension StepKind {
    /// `mark:` — a named moment, for point-in-time restores.
    public static let mark = StepKind("mark")
}

/// `mark: NAME`: remembers this moment under a name, which a point-in-time restore can target
/// (`restore: {pitr: NAME, offset: -1s}`).
struct MarkStep: DrillStep {
    static let kind = StepKind.mark
    var name: String

    static func read(_ options: StepOptions) throws(ScenarioError) -> MarkStep {
        let name = try options.reader.string(options.node, key: options.key)
        guard !name.isEmpty, !["latest", "disaster"].contains(name) else {
            throw options.error("a mark needs a name other than latest and disaster")
        }
        return MarkStep(name: name)
    }

    var description: String { "mark \(name)" }

    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError) {
        guard order.marks.insert(name).inserted else { throw order.fail("mark \(name) is already defined by an earlier step") }
    }

    func run(_ run: StepRun) -> StepOutcome {
        run.context.marks[name] = Date()
        run.context.log("\(run.label): marked \(name)")
        return StepOutcome()
    }
}

extension StepAction {
    /// `mark: NAME`.
    static func mark(_ name: String) -> StepAction {
        StepAction(MarkStep(name: name))
    }
}
