import ArgumentParser
import PRACore

struct ClusterUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "initdb and start a scratch PostgreSQL in a temporary directory; print the variables to export.",
        discussion: """
            The server listens only on a unix socket in its directory, on a free port, with fast, \
            non-durable settings. As root it runs as the unprivileged postgres (or nobody) user.

            Example:
              eval "$(pra cluster up)"      # exports PGHOST, PGPORT, PGUSER, PGDATABASE, PRA_CLUSTER_DIR
              pra fixtures load --scale 0.1
              pra cluster down
            """)

    func run() throws {
        InterruptCleanup.shared.installSignalHandlers()
        let cluster: ScratchCluster
        do {
            cluster = try ScratchCluster()
        } catch {
            throw Terminal.fail("cannot start a scratch cluster: \(error)", exitCode: 1)
        }
        cluster.makePersistent()
        var lines = cluster.environment.sorted { $0.key < $1.key }.map { "export \($0.key)=\($0.value)" }
        lines.append("export PRA_CLUSTER_DIR=\(cluster.directory)")
        lines.append("# stop and remove it with: pra cluster down --dir \(cluster.directory)")
        Terminal.output(lines.joined(separator: "\n") + "\n")
    }
}
