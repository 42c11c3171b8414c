import Foundation
import PRACore
import PRADrill
import PRADrillResults
import PRATestSupport

/// Runs in-memory scenarios through the public drill runner, the built `pra` and a scratch
/// cluster each, to record real histories for the report tests.
enum DrillHarness {
    static func options() -> DrillOptions {
        var options = DrillOptions(praExecutable: PraBinary.path, workRoot: TestEnvironment.temporaryDirectory("report-drill"))
        options.fixturesDirectory = TestEnvironment.packageRoot + "/fixtures"
        options.defaultScale = 0.02
        return options
    }

    static func parse(_ yaml: String) throws -> Scenario {
        try ScenarioLoader().parse(yaml, file: "test.yaml")
    }

    /// The failed checks, for messages.
    static func failures(_ result: ScenarioResult) -> String {
        (result.checks.filter { !$0.passed }.map { "\($0.name): \($0.message ?? "")" } + [result.error ?? ""] + result.log).joined(separator: "\n")
    }
}
