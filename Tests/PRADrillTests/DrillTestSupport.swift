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

    /// Mount points at or below `root` (from /proc/mounts; octal escapes such as \040 decoded).
    static func mounts(under root: String) throws -> [String] {
        let table = try String(contentsOfFile: "/proc/mounts", encoding: .utf8)
        return table.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            let point = String(fields[1]).replacingOccurrences(of: "\\040", with: " ")
            return point == root || point.hasPrefix(root + "/") ? point : nil
        }
    }

    /// The failed checks, for messages.
    static func failures(_ result: ScenarioResult) -> String {
        (result.checks.filter { !$0.passed }.map { "\($0.name): \($0.message ?? "")" } + [result.error ?? ""] + result.log).joined(separator: "\n")
    }
}
