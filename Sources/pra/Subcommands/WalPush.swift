import ArgumentParser
import Foundation
import PRACore

struct WalPush: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Archive one WAL file (archive_command = 'pra wal push %p').",
        discussion: """
            Compresses the file (WAL_COMPRESSION: standard gzip at BACKUP_COMPRESSION_LEVEL by default, \
            or zstd, or lz4), hashes it (SHA-256), writes it under a temporary name in BACKUP_DIR/wal/, \
            fsyncs it and links it into place as <NAME>-<sha256>.gz (.zst, .lz4); pra wal get reads \
            every codec, so the setting may change at any time. Each push has a temporary file of its own, so overlapping pushes of one \
            segment cannot mix. A file already archived with the same content succeeds without writing \
            (PostgreSQL may push a segment twice after a crash) once the archived copy has been read \
            back whole; a damaged copy of the same content is replaced by the checked one. The same \
            name with different content fails and is never overwritten. Timeline history and backup \
            history files are checked against the format PostgreSQL writes and refused, naming the \
            line, when they do not match. Segments from another database system than the one the \
            archive belongs to (wal/archive.json) are refused. With REMOTE_TARGET and \
            WAL_REMOTE_MODE=sync (the default), the file is also copied to <REMOTE_TARGET>/wal/ and \
            read back; a failed copy fails the push so that PostgreSQL retries (a store that is down \
            stalls archiving and pg_wal grows). With WAL_REMOTE_MODE=async, the push returns once \
            the file is archived locally and starts pra wal sync in the background (unless one is \
            running), which copies it off-site; pra status shows the off-site lag. Either way \
            <REMOTE_TARGET>/wal/archive.json must name this cluster's database system (written by \
            the first copy). The server's OS user must be able to write BACKUP_DIR.

            Exit codes: 0 archived (or already archived with the same content), 1 failed (PostgreSQL \
            keeps the file and retries), 2 usage or configuration error.

            Example (postgresql.conf):
              archive_command = 'pra wal push %p --env-file /etc/pra/.env'
            """)

    @Argument(help: ArgumentHelp("The WAL file to archive (PostgreSQL's %p, relative to the data directory).", valueName: "path"))
    var path: String

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "wal")
        InterruptCleanup.shared.installSignalHandlers()
        let result: WALPushResult
        do {
            result = try WALPushOperation(configuration: configuration).run(path: path)
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(error))) }
            throw Terminal.fail(error)
        }
        // A damaged archived copy replaced: worth a line in the server log whatever the verbosity.
        if result.replacedDamaged != nil { Terminal.warn(result.summary) }
        if json {
            Terminal.output(JSONCoding.document(result))
        } else if common.verbose {
            Terminal.output(result.summary + "\n")
            if let offSite = result.offSite { Terminal.output(offSite + "\n") }
        }
        Terminal.record("pra: " + result.summary)
    }
}
