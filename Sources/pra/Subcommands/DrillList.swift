import ArgumentParser
import PRADrill

struct DrillList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the scenario catalogue with descriptions and tags.")

    @Argument(help: ArgumentHelp("Scenario files or directories (default: scenarios/).", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        let scenarios: [Scenario]
        do {
            scenarios = try DrillRunner.load(paths: paths.isEmpty ? ["scenarios"] : paths)
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        let width = scenarios.map(\.name.count).max() ?? 0
        for scenario in scenarios {
            let tags = scenario.tags.isEmpty ? "" : "  [\(scenario.tags.joined(separator: ", "))]"
            Terminal.output(scenario.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + scenario.description + tags + "\n")
        }
    }
}
