import ArgumentParser
import Foundation
import PRACore

struct WalGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Fetch one archived WAL file (restore_command = 'pra wal get %f %p').",
        discussion: """
            Inflates BACKUP_DIR/wal/.../<NAME>-<sha256>.gz to PATH, checking the SHA-256 on the way \
            out. A file that is not archived exits 1 without a word: that is how recovery learns it \
            has replayed everything. A corrupt file exits 1 with an error naming it (it reaches the \
            server log) and leaves nothing at PATH. pra restore --pitr sets this command up itself.

            Exit codes: 0 fetched, 1 not archived or corrupt, 2 usage or configuration error.

            Example (postgresql.conf of a server being recovered):
              restore_command = 'pra wal get %f %p --env-file /etc/pra/.env'
            """)

    @Argument(help: ArgumentHelp("The WAL file name (PostgreSQL's %f).", valueName: "name"))
    var name: String

    @Argument(help: ArgumentHelp("Where to write it (PostgreSQL's %p).", valueName: "path"))
    var path: String

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration()
        InterruptCleanup.shared.installSignalHandlers()
        do {
            switch try WALFetchOperation(configuration: configuration).run(name: name, to: path) {
            case .fetched(let bytes, let source):
                if common.verbose { Terminal.output("fetched \(name) (\(ByteCount.format(bytes))) from \(source)\n") }
            case .notFound:
                throw ExitCode(1)
            }
        } catch let failure as OperationFailure {
            throw Terminal.fail(failure)
        }
    }
}
