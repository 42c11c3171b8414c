import ArgumentParser
import Foundation
import PRACore

struct StandbyCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Build a warm standby from the newest base backup and start it replaying the archive.",
        discussion: """
            Picks the newest complete base backup of the archived cluster that verifies (local \
            ones first, then the off-site copies on REMOTE_TARGET; --from-remote: those only), \
            extracts it into --target-dir (empty or new; as root it is given to the server's \
            account, RUN_AS_USER or postgres, which runs the standby), checks it with \
            pg_verifybackup, writes standby.signal and restore_command = 'pra wal get %f %p ...' \
            (no recovery target: it replays forever, asking the archive again every second), \
            starts it on --port (default a free one, Unix socket only) and waits until it is \
            consistent, within RECOVERY_TIMEOUT. REMOTE_TARGET and its keys reach pra wal get \
            through a private env file in BACKUP_DIR (removed with the standby or at promotion).

            The standby's description (base backup, system identifier, port, socket) is written \
            last, to DIR/pra-standby.json: a failed create leaves no server, no files and no env \
            file behind. The WAL archiving settings of the base backup are turned off \
            (archive_mode = off) unless --keep-archiving: then the promoted server archives.

            Example:
              pra standby create --target-dir /srv/pg/standby --json
            """)

    @Option(name: .long, help: ArgumentHelp("The standby's data directory (empty or new).", valueName: "dir"))
    var targetDir: String

    @Option(name: .long, help: ArgumentHelp("Port of the standby (default: a free one).", valueName: "port"))
    var port: Int?

    @Flag(name: .long, help: "Use a base backup from REMOTE_TARGET (the off-site copy) even when a local one would do.")
    var fromRemote = false

    @Flag(name: .long, help: "Keep the base backup's WAL archiving, so that the promoted server archives (it becomes the primary).")
    var keepArchiving = false

    @Option(name: .long, help: ArgumentHelp("As root: the OS user that extracts the base backup and runs the standby (default RUN_AS_USER, else postgres; never root).", valueName: "user"))
    var runAs: String?

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "standby")
        let request = StandbyCreation.Request(targetDirectory: targetDir, port: port, runAs: runAs, fromRemote: fromRemote, keepArchiving: keepArchiving)
        let result: StandbyCreation.Result
        do {
            if !common.quiet && !json { Terminal.info("building a standby in \(targetDir)") }
            result = try StandbyCreation(configuration: configuration, progress: json ? nil : common.progress).run(request)
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(error))) }
            throw Terminal.fail(OperationFailure(stage: error.stage, message: "standby create: \(error.message)", isUsageError: error.isUsageError))
        }
        for skipped in result.skippedBackups { Terminal.warn("fallback: \(skipped)") }
        if json {
            Terminal.output(JSONCoding.document(result))
        } else {
            let standby = result.standby
            Terminal.output("""
                standby running in \(standby.dataDirectory) on port \(standby.port) (socket \(standby.socketDirectory)), replaying the archive
                  base backup: \(standby.baseBackupSource)
                  replayed to: \(result.replayedLSN ?? "?")
                  built in \(DurationParser.format(result.seconds)); pra standby status --target-dir \(standby.dataDirectory) says how far behind it is

                """)
        }
        Terminal.record("pra: standby created in \(result.standby.dataDirectory)")
    }
}
