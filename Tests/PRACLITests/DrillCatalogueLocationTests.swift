import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// pra drill run/list/validate outside the project, and drill new joining the catalogue.

@Suite("drill catalogue location: where pra looked and how to point elsewhere")
struct DrillCatalogueLocationTests {
    @Test("drill run, list and validate outside the project say where they looked and how to point elsewhere", arguments: ["run", "list", "validate"])
    func scenariosOutsideTheProject(command: String) throws {
        let directory = TestEnvironment.temporaryDirectory("fh-noscen")
        let result = try CLIRun.pra(["drill", command] + (command == "run" ? ["--env-file", "/dev/null"] : []), in: directory, environment: CLIRun.bareEnvironment())
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("no scenarios/ directory in"), "\(result.stderr)")
        #expect(result.stderr.contains(directory))
        #expect(result.stderr.contains("pra drill \(command) /path/to/scenarios"))
        #expect(CLIRun.errorLines(result).count == 1)
    }

    @Test("drill new says the file joins the catalogue and the next full drill includes it")
    func drillNew() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-new")
        let result = try CLIRun.pra(["drill", "new", "my-scenario"], in: directory, environment: CLIRun.bareEnvironment())
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote scenarios/my-scenario.yaml"))
        #expect(result.stdout.contains("joins the catalogue"))
        #expect(result.stdout.contains("next full drill"))
        #expect(result.stdout.contains("pra drill run"))
    }
}
