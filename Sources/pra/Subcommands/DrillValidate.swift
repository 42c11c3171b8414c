import ArgumentParser
import PRADrill

struct DrillValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check scenario files without running them.",
        discussion: """
            Reports every invalid file with its line and key: unknown key, wrong type, unknown fault \
            kind (with the closest known one), impossible step order. Without a path it reads \
            ./scenarios: run it from the project directory, or name the files or directories.

            Exit codes: 0 every file valid, 2 a file is invalid or no scenario file was found.

            Examples:
              pra drill validate
              pra drill validate scenarios/my-scenario.yaml
            """)

    @Argument(help: ArgumentHelp("Scenario files or directories (default: scenarios/).", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        let files: [String]
        let sources = try ScenarioPaths.resolve(paths, command: "validate")
        do {
            files = try ScenarioLoader.files(in: sources)
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        var invalid = 0
        for file in files {
            do {
                let scenario = try ScenarioLoader().load(file: file)
                Terminal.output("ok      \(file) (\(scenario.name), \(scenario.steps.count) steps)\n")
            } catch {
                invalid += 1
                Terminal.output("INVALID \(error.description)\n")
            }
        }
        if invalid > 0 {
            throw Terminal.fail("\(invalid) of \(files.count) scenario file(s) invalid", exitCode: 2)
        }
    }
}
