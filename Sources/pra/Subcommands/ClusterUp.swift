import ArgumentParser
import Foundation
import PRACore
import PRAHarness

struct ClusterUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "initdb and start a scratch PostgreSQL in a temporary directory; print the variables to export.",
        discussion: """
            The server listens only on a unix socket in its directory, on a free port, with fast, \
            non-durable settings. As root it runs as the unprivileged postgres (or nobody) user.

            Exit codes: 0 started (the exports are printed), 1 the server could not start (initdb \
            or pg_ctl missing or failing), 2 usage error.

            Example:
              # export PGHOST, PGPORT, PGUSER, PGDATABASE and PRA_CLUSTER_DIR:
              eval "$(pra cluster up)"
              pra fixtures load --scale 0.1
              eval "$(pra cluster down)"    # and unsets them

            With --archive-to DIR the server archives its WAL with this pra (pra wal push) into \
            DIR/wal, ready for pra backup --base, --incremental and pra restore --pitr:
              eval "$(pra cluster up --archive-to /tmp/pra-backups)"
              export BACKUP_DIR=/tmp/pra-backups
            """)

    @Option(name: .long, help: ArgumentHelp("Archive the WAL with pra wal push into this backup directory.", valueName: "dir"))
    var archiveTo: String?

    @Option(name: .long, help: ArgumentHelp("archive_timeout of the archiving server, in seconds.", valueName: "seconds"))
    var archiveTimeout: Int = 60

    func run() throws {
        InterruptCleanup.shared.installSignalHandlers()
        let cluster: ScratchCluster
        do {
            if let archiveTo {
                let directory = archiveTo.hasPrefix("/") ? archiveTo : FileManager.default.currentDirectoryPath + "/" + archiveTo
                let settings = ScratchCluster.archivingSettings(praExecutable: RunningExecutable.path, backupDirectory: directory, archiveTimeout: archiveTimeout)
                cluster = try ScratchCluster(settings: settings, preparing: { try $0.grantServerAccess(to: directory) })
            } else {
                cluster = try ScratchCluster()
            }
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
