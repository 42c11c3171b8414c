import ArgumentParser
import Foundation
import PRACore

struct StandbyRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Stop a standby and delete its data directory and env file.",
        discussion: """
            Only a directory pra standby create made (it holds pra-standby.json) whose server is \
            stopped or in recovery: a promoted standby is the primary and is never deleted. Files \
            are removed as the server's account.

            Example:
              pra standby remove --target-dir /srv/pg/standby
            """)

    @Option(name: .long, help: ArgumentHelp("The standby's data directory.", valueName: "dir"))
    var targetDir: String

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "standby")
        do {
            try StandbyRemoval(configuration: configuration, dataDirectory: targetDir).remove()
            Terminal.output("standby in \(targetDir) removed\n")
        } catch {
            throw Terminal.fail(error)
        }
    }
}
