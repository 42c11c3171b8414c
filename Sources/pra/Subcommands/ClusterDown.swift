import ArgumentParser
import Foundation
import PRACore

struct ClusterDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop a scratch cluster started by `pra cluster up` and delete its directory.",
        discussion: """
            Prints the shell line that forgets the variables pra cluster up exported, so that \
            eval "$(pra cluster down)" leaves nothing pointing at the deleted cluster.

            Exit codes: 0 removed, 2 no cluster named (neither --dir nor PRA_CLUSTER_DIR) or not a \
            scratch cluster.

            Example:
              eval "$(pra cluster down)"     # stops it, deletes it, unsets PGHOST, PGPORT, PGUSER, PGDATABASE, PRA_CLUSTER_DIR
            """)

    @Option(name: .long, help: ArgumentHelp("The cluster directory (default: $PRA_CLUSTER_DIR).", valueName: "dir"))
    var dir: String?

    /// The variables `pra cluster up` exports, unset for `eval "$(pra cluster down)"`.
    static let unsetLine = "unset PGHOST PGPORT PGUSER PGDATABASE PRA_CLUSTER_DIR"

    func run() throws {
        guard let directory = dir ?? ProcessInfo.processInfo.environment["PRA_CLUSTER_DIR"] else {
            throw Terminal.fail("name the cluster with --dir or PRA_CLUSTER_DIR (pra cluster up prints it)", exitCode: 2)
        }
        let cluster: ScratchCluster
        do {
            cluster = try ScratchCluster(attachingTo: directory)
        } catch {
            // Acts only on a cluster pra created: the state must name this directory and its token match.
            throw Terminal.fail("\(error)", exitCode: 2)
        }
        cluster.teardown()
        // stdout stays eval-able: eval "$(pra cluster down)" also forgets the exported variables.
        Terminal.output("# removed scratch cluster \(directory)\n" + Self.unsetLine + "\n")
    }
}
