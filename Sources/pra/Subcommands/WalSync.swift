import ArgumentParser
import Foundation
import PRACore

struct WalSync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Copy every archived WAL file not yet off-site to REMOTE_TARGET/wal/ (the copier of WAL_REMOTE_MODE=async).",
        discussion: """
            Lists REMOTE_TARGET/wal/ once, checks its archive.json names this cluster's database \
            system (writes it when missing), then copies each file of BACKUP_DIR/wal/ that is not \
            there, oldest first, WAL_SYNC_JOBS at a time, each read back or checked by the store \
            before it gets its name; a failing copy is retried with backoff (1 s doubling to 30 s) \
            for a minute, then the run stops and exits 1 (the next run starts over; nothing that \
            looks complete is ever partial off-site). One run at a time per BACKUP_DIR: a second \
            one exits 0 at once. With WAL_REMOTE_MODE=async, pra wal push starts it after each \
            local archive; a timer or cron job every few minutes catches up after a reboot or a \
            long outage of the store. When more than WAL_REMOTE_QUEUE_LIMIT waits to go off-site, \
            it alerts (SLACK_WEBHOOK / ALERT_EMAIL, once until the queue is back under the limit) \
            and pra status turns CRITICAL; archiving goes on locally.

            Exit codes: 0 copied everything (or another run is busy), 1 a file could not be \
            copied, 2 usage or configuration error.

            Examples:
              pra wal sync --env-file /etc/pra/.env
              */5 * * * * postgres pra wal sync --quiet --env-file /etc/pra/.env
            """)

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @Flag(name: .long, help: "Wait for a running sync to finish, then run, instead of leaving at once.")
    var wait = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "wal")
        InterruptCleanup.shared.installSignalHandlers()
        var operation = WALSyncOperation(configuration: configuration)
        operation.waitForLock = wait
        let result: WALSyncResult
        do {
            result = try operation.run()
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(error))) }
            throw Terminal.fail(error)
        }
        for line in result.alerts { Terminal.warn(line) }
        if json {
            Terminal.output(JSONCoding.document(result))
        } else if !common.quiet || common.verbose {
            Terminal.output(result.summary + "\n")
        }
        Terminal.record("pra: " + result.summary)
    }
}
