import Foundation
import PRACore
import PRADrillResults
import PRATestSupport

@testable import PRADrill

/// Runs in-memory scenarios with the real runner, the built `pra` and a scratch cluster each.
enum DrillHarness {
    static func options() -> DrillOptions {
        var options = DrillOptions(praExecutable: PraBinary.path, workRoot: TestEnvironment.temporaryDirectory("drill"))
        options.fixturesDirectory = TestEnvironment.packageRoot + "/fixtures"
        options.defaultScale = 0.02
        return options
    }

    static func run(_ scenario: Scenario, options: DrillOptions = options()) -> ScenarioResult {
        ScenarioRunner(scenario: scenario, options: options).run()
    }

    static func parse(_ yaml: String) throws -> Scenario {
        try ScenarioLoader().parse(yaml, file: "test.yaml")
    }

    /// The failed checks, for messages.
    static func failures(_ result: ScenarioResult) -> String {
        (result.checks.filter { !$0.passed }.map { "\($0.name): \($0.message ?? "")" } + [result.error ?? ""] + result.log).joined(separator: "\n")
    }
}
