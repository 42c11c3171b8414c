import ArgumentParser
import Foundation
import PRACore

struct WalGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Fetch one archived WAL file (restore_command = 'pra wal get %f %p').",
        discussion: """
            Inflates BACKUP_DIR/wal/.../<NAME>-<sha256>.gz to PATH, checking the SHA-256 on the way \
            out; with WAL_GET_PREFETCH > 0 it then starts a prefetcher in the background (one at a \
            time) that inflates and checks the next segments of the timeline into .pra-wal-spool/ \
            beside PATH while the server replays, and the calls for them only rename (while the \
            archive names the same SHA-256). A file that is not archived exits 1 without a word: that is how recovery learns it \
            has replayed everything. Anything else that keeps the file from PATH (the archived copy \
            is corrupt or fails its SHA-256, cannot be read, the archive directory cannot be listed, \
            PATH cannot be written, the configuration cannot be loaded) exits 126 with one error \
            line naming the file and why (it reaches the server log) and leaves nothing at PATH: \
            PostgreSQL stops recovery with FATAL on an exit status above 125, instead of ending it \
            early and promoting at the wrong point as it would on exit 1. Repair the archive, then \
            start recovery again. pra restore --pitr sets this command up itself.

            When the local archive does not hold NAME (or there is no local archive: the site is \
            lost) and REMOTE_TARGET is set, the file comes from REMOTE_TARGET/wal/: its \
            archive.json must name the same database system as the local archive (when there is \
            one), the file is inflated against the SHA-256 in its name and checked for what it \
            claims to be (a segment's header: database system, segment size, position, timeline; \
            a history or backup history file parsed), and only then written to PATH. With \
            WAL_GET_PREFETCH > 0 the next segments are downloaded at the same time, in parallel, \
            checked the same way, into .pra-wal-spool/ beside PATH (the server's pg_wal, private \
            to its OS user); the spool holds at most WAL_GET_PREFETCH files and is removed when a \
            file is found nowhere (the end of recovery). A store that cannot be asked exits 126 \
            like a corrupt file: "cannot tell" is never taken for "not archived" (recovery would \
            end early); to recover from the local archive alone, leave REMOTE_TARGET out of the \
            env file restore_command reads.

            --standby (the restore_command pra standby create writes): a failure exits 1 after \
            its error line instead of 126, so a warm standby asks again a second later rather \
            than stopping; it falls behind meanwhile, which pra standby status reports.

            Exit codes: 0 fetched, 1 not archived, 126 corrupt, unreadable or any other failure \
            (recovery stops; 1 with --standby), 2 command-line usage error.

            Example (postgresql.conf of a server being recovered):
              restore_command = 'pra wal get %f %p --env-file /etc/pra/.env'
            """)

    @Argument(help: ArgumentHelp("The WAL file name (PostgreSQL's %f).", valueName: "name"))
    var name: String

    @Argument(help: ArgumentHelp("Where to write it (PostgreSQL's %p).", valueName: "path"))
    var path: String

    @Flag(name: .long, help: "For a warm standby's restore_command: a failure exits 1 (asked again a second later) instead of 126 (the standby would stop).")
    var standby = false

    @Flag(name: .long, help: .hidden)
    var prefetch = false

    @OptionGroup var common: CommonOptions

    /// 126 stops recovery; a standby retries instead (it never promotes by itself).
    private var failureExitCode: Int32 { standby ? 1 : WALFetchOperation.fatalExitCode }

    func run() throws {
        let configuration: Configuration
        do {
            configuration = try common.loadConfiguration()
        } catch {
            // The error line is printed; an unreadable env file must not read as "not archived".
            throw ExitCode(failureExitCode)
        }
        InterruptCleanup.shared.installSignalHandlers()
        var operation = WALFetchOperation(configuration: configuration)
        if prefetch {
            // The background prefetcher a wal get started (below): it writes only into the spool.
            operation.prefetch(after: name, destination: path)
            return
        }
        operation.launchPrefetcher = { name, destination in
            var arguments = ["wal", "get", name.text, destination, "--prefetch", "--quiet", "--backup-dir", configuration.backupDirectory]
            if let envFile = configuration.envFilePath { arguments += ["--env-file", envFile] }
            _ = DetachedProcess.start(executable: RunningExecutable.path, arguments: arguments)
        }
        do {
            switch try operation.run(name: name, to: path) {
            case .fetched(let bytes, let source):
                if common.verbose { Terminal.output("fetched \(name) (\(ByteCount.format(bytes))) from \(source)\n") }
            case .notFound:
                throw ExitCode(1)
            }
        } catch let failure as OperationFailure {
            throw Terminal.fail(failure.description, exitCode: failureExitCode)
        }
    }
}
