import ArgumentParser
import PRACore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a full backup: pg_dump streamed through gzip into BACKUP_DIR, with a manifest.",
        discussion: """
            Writes <prefix>_backup_full_<YYYYMMDD>_<HHMMSS>.sql.gz and, once it is fsynced and renamed \
            into place, its .manifest.json (sizes, SHA-256, row counts from the dump's snapshot). The \
            archive restores with stock tools: gunzip -c FILE | psql. After success, retention deletes \
            backups older than BACKUP_RETENTION_DAYS, always keeping the BACKUP_MIN_KEEP newest.
            A failure leaves no partial file and never touches earlier backups.

            Example (cron, hourly):  0 * * * *  pra backup --full --quiet --env-file /etc/pra/.env
            """)

    @Flag(name: .long, help: "Full backup (the only kind so far; accepted for the seed plan's scripts).")
    var full = false

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration()
        InterruptCleanup.shared.installSignalHandlers()
        do {
            let result = try BackupOperation(configuration: configuration, progress: json ? nil : common.progress).run()
            for warning in result.warnings { Terminal.warn(warning) }
            if json {
                Terminal.output(JSONCoding.document(result))
            } else {
                Terminal.output(result.summary + "\n")
                if !result.deletedByRetention.isEmpty {
                    Terminal.output("retention deleted: \(result.deletedByRetention.joined(separator: ", "))\n")
                }
            }
        } catch {
            if json { Terminal.output(JSONCoding.document(FailureDocument(error))) }
            throw Terminal.fail(OperationFailure(stage: error.stage, message: "backup failed: \(error.message)", sqlState: error.sqlState, isUsageError: error.isUsageError))
        }
    }
}
