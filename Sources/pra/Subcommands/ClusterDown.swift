import ArgumentParser
import Foundation
import PRACore

struct ClusterDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop a scratch cluster started by `pra cluster up` and delete its directory.")

    @Option(name: .long, help: ArgumentHelp("The cluster directory (default: $PRA_CLUSTER_DIR).", valueName: "dir"))
    var dir: String?

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
        Terminal.output("removed scratch cluster \(directory)\n")
    }
}
