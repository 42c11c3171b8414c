import ArgumentParser
import Foundation
import PRACore
import PRADrill

struct DrillNew: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Write a commented scenario template that runs as it is.",
        discussion: """
            The new file joins the catalogue (scenarios/ by default): the next full drill runs it, \
            and pra report counts a run as a full drill only when it includes it.

            Exit codes: 0 written, 1 the file cannot be written, 2 invalid name or the file exists.

            Example:
              pra drill new replica-lag && pra drill run scenarios/replica-lag.yaml
            """)

    @Argument(help: "Scenario name (letters, digits, '.', '_', '-').")
    var name: String

    @Option(name: .long, help: ArgumentHelp("Directory to write into.", valueName: "dir"))
    var directory = "scenarios"

    func validate() throws {
        guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) != nil else {
            throw ValidationError("use letters, digits, '.', '_' and '-' in the name")
        }
    }

    func run() throws {
        let path = (directory as NSString).appendingPathComponent("\(name).yaml")
        guard !FileManager.default.fileExists(atPath: path) else {
            throw Terminal.fail("\(path) already exists; choose another name", exitCode: 2)
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try DurableFile.write(Data(ScenarioTemplate.text(name: name, path: path).utf8), to: path, permissions: 0o644)
        } catch {
            throw Terminal.fail("cannot write \(path): \(error)", exitCode: 1)
        }
        Terminal.output("""
            wrote \(path); run it alone with: pra drill run \(path)\(directory == ScenarioPaths.defaultDirectory ? " (a partial run: its reports go to reports/partial/)" : "")
            it joins the catalogue in \(directory)/: the next full drill (pra drill run, scripts/main-job.sh) includes it, \
            and until a full drill has run it, pra report reads NOT COMPLIANT (no run included every scenario)

            """)
    }
}
