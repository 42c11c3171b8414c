import ArgumentParser
import Foundation
import PRACore

struct StandbyStop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop a standby (fast shutdown); start it again with pg_ctl start.",
        discussion: """
            Stops the standby pra standby create made in --target-dir, as the account it runs as. \
            It keeps its data: started again (pg_ctl -D DIR start, as that account) it resumes \
            replaying where it stopped.

            Example:
              pra standby stop --target-dir /srv/pg/standby
            """)

    @Option(name: .long, help: ArgumentHelp("The standby's data directory.", valueName: "dir"))
    var targetDir: String

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "standby")
        do {
            let stopped = try StandbyRemoval(configuration: configuration, dataDirectory: targetDir).stop()
            Terminal.output(stopped ? "standby in \(targetDir) stopped\n" : "standby in \(targetDir) was not running\n")
        } catch {
            throw Terminal.fail(error)
        }
    }
}
