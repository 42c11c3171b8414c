import Foundation
import PRACore

extension StepKind {
    /// `wait:` — a pause.
    public static let wait = StepKind("wait")
}

/// `wait: DURATION`: sleeps; heartbeats written meanwhile are what the next disaster loses.
struct WaitStep: DrillStep {
    static let kind = StepKind.wait
    var seconds: Double

    static func read(_ options: StepOptions) throws(ScenarioError) -> WaitStep {
        WaitStep(seconds: try options.reader.duration(options.node, key: options.key))
    }

    var description: String { "wait \(DurationParser.format(seconds))" }

    func run(_ run: StepRun) -> StepOutcome {
        Thread.sleep(forTimeInterval: seconds)
        run.context.log("\(run.label): waited \(DurationParser.format(seconds))")
        return StepOutcome()
    }
}

extension StepAction {
    /// `wait: DURATION`.
    static func wait(seconds: Double) -> StepAction {
        StepAction(WaitStep(seconds: seconds))
    }
}
