import ArgumentParser
import PRADrill

struct DrillList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the scenario catalogue with descriptions and tags.",
        discussion: """
            Without a path it reads ./scenarios: run it from the project directory, or name the \
            scenario files or directories.

            Exit codes: 0 listed, 2 no scenarios found or a scenario file invalid.

            Examples:
              pra drill list
              pra drill list /srv/pra/scenarios
            """)

    @Argument(help: ArgumentHelp("Scenario files or directories (default: scenarios/).", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        let scenarios: [Scenario]
        let sources = try ScenarioPaths.resolve(paths, command: "list")
        do {
            scenarios = try DrillRunner.load(paths: sources)
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
