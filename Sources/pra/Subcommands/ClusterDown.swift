import ArgumentParser
import Foundation
import PRACore
import PRAHarness

struct ClusterDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop a scratch cluster started by `pra cluster up` and delete its directory.",
        discussion: """
            Prints the shell line that forgets the variables pra cluster up exported, so that \
            eval "$(pra cluster down)" leaves nothing pointing at the deleted cluster.

            Exit codes: 0 removed, 2 no cluster named (neither --dir nor PRA_CLUSTER_DIR) or not a \
            scratch cluster. A PostgreSQL data directory that is no scratch cluster (the one pra \
            restore --pitr recovered into) is never touched: the error prints the line that stops \
            its server (pra restore --pitr prints the same line as "# stop it with:").

            Example:
              # stop it, delete it, unset PGHOST PGPORT PGUSER PGDATABASE PRA_CLUSTER_DIR:
              eval "$(pra cluster down)"
            """)

    @Option(name: .long, help: ArgumentHelp("The cluster directory (default: $PRA_CLUSTER_DIR).", valueName: "dir"))
    var dir: String?

    /// The variables `pra cluster up` exports, unset for `eval "$(pra cluster down)"`.
    static let unsetLine = "unset PGHOST PGPORT PGUSER PGDATABASE PRA_CLUSTER_DIR"

    /// For a PostgreSQL data directory that is no scratch cluster (what `pra restore --pitr`
    /// leaves running): never deleted, and the line that stops its server as its owner.
    static func dataDirectoryAdvice(_ directory: String) -> String {
        guard let version = try? String(contentsOfFile: directory + "/PG_VERSION", encoding: .utf8) else { return "" }
        let major = Int(version.trimmingCharacters(in: .whitespacesAndNewlines))
        let pgCtl = (try? PostgresBinaries(explicitDirectory: ProcessInfo.processInfo.environment[Setting.pgBinDir.name]).locate("pg_ctl", preferredMajor: major)) ?? "pg_ctl"
        // pg_ctl refuses root: as root, the line runs it as the directory's owner.
        let owner = getuid() == 0 ? OSUser.owner(of: directory).flatMap(OSUser.withID) : nil
        let control = ServerControl(dataDirectory: directory, logFile: "", binDirectory: (pgCtl as NSString).deletingLastPathComponent, user: owner)
        return "; \(directory) is a PostgreSQL data directory (pra restore --pitr recovers into one), which pra cluster down never deletes; stop its server with: \(control.stopCommandLine)"
    }

    func run() throws {
        guard let directory = dir ?? ProcessInfo.processInfo.environment[Setting.praClusterDir.name] else {
            throw Terminal.fail("name the cluster with --dir or PRA_CLUSTER_DIR (pra cluster up prints it)", exitCode: 2)
        }
        let cluster: ScratchCluster
        do {
            cluster = try ScratchCluster(attachingTo: directory)
        } catch {
            // Acts only on a cluster pra created: the state must name this directory and its token match.
            throw Terminal.fail("\(error)" + Self.dataDirectoryAdvice(directory), exitCode: 2)
        }
        cluster.teardown()
        // stdout stays eval-able: eval "$(pra cluster down)" also forgets the exported variables.
        Terminal.output("# removed scratch cluster \(directory)\n" + Self.unsetLine + "\n")
    }
}
