import ArgumentParser
import PRADrill

struct DrillValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check scenario files without running them.",
        discussion: "Reports every invalid file with its line and key: unknown key, wrong type, unknown fault kind, impossible step order. Exit 2 when any is invalid.")

    @Argument(help: ArgumentHelp("Scenario files or directories (default: scenarios/).", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        let files: [String]
        do {
            files = try ScenarioLoader.files(in: paths.isEmpty ? ["scenarios"] : paths)
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
