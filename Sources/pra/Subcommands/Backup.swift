import ArgumentParser
import Foundation
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

            With REMOTE_TARGET (a directory or ssh://user@host/path), the archive and then its manifest \
            are copied there and read back (size and SHA-256); retention applies there too.

            Exit codes: 0 success, 1 backup failed, 2 usage or configuration error, 3 the local backup \
            is complete but the remote copy failed. Failures are alerted (SLACK_WEBHOOK, ALERT_EMAIL).

            Example (cron, hourly):  0 * * * *  pra backup --full --quiet --env-file /etc/pra/.env
            """)

    @Flag(name: .long, help: "Full backup (the only kind so far; accepted for the seed plan's scripts).")
    var full = false

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @Flag(name: .long, help: "Alert on success too (as ALERT_ON_SUCCESS=true).")
    var alertOnSuccess = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "backup")
        InterruptCleanup.shared.installSignalHandlers()
        let remote: RemoteCopyOperation?
        do {
            remote = try RemoteCopyOperation(configuration: configuration)
        } catch {
            throw Terminal.fail(OperationFailure(stage: "configuration", error))
        }
        var result: BackupResult
        do {
            result = try BackupOperation(configuration: configuration, progress: json ? nil : common.progress).run()
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(error))) }
            let exit = Terminal.fail(OperationFailure(stage: error.stage, message: "backup failed: \(error.message)", sqlState: error.sqlState, isUsageError: error.isUsageError))
            Terminal.alert(Alert(kind: .failure, command: "backup", what: "backup failed", location: Terminal.location(configuration), detail: error.description), configuration: configuration)
            throw exit
        }
        for warning in result.warnings { Terminal.warn(warning) }
        let name = (result.archive as NSString).lastPathComponent
        if let remote {
            do {
                let copy = try remote.copy(archivePath: result.archive, manifestPath: result.manifest)
                result.remoteCopy = copy
                for warning in copy.warnings { Terminal.warn(warning) }
            } catch {
                result.remoteCopyError = error.message
                if json { Terminal.output(JSONCoding.document(result)) } else { Terminal.output(result.summary + "\n") }
                let message = "remote copy failed: \(error.message) (the local backup \(name) is complete)"
                let exit = Terminal.fail(message, exitCode: 3)
                Terminal.alert(Alert(kind: .failure, command: "backup", what: "remote copy failed", location: remote.store.description, detail: message), configuration: configuration)
                throw exit
            }
        }
        if json {
            Terminal.output(JSONCoding.document(result))
        } else {
            Terminal.output(result.summary + "\n")
            if let copy = result.remoteCopy { Terminal.output(copy.summary + "\n") }
            if !result.deletedByRetention.isEmpty {
                Terminal.output("retention deleted: \(result.deletedByRetention.joined(separator: ", "))\n")
            }
            if let deleted = result.remoteCopy?.deletedByRetention, !deleted.isEmpty {
                Terminal.output("remote retention deleted: \(deleted.joined(separator: ", "))\n")
            }
        }
        Terminal.record("pra: " + result.summary + (result.remoteCopy.map { "; " + $0.summary } ?? ""))
        Terminal.alert(Alert(kind: .success, command: "backup", what: "backup complete", location: Terminal.location(configuration), detail: result.summary), configuration: configuration, alertOnSuccess: alertOnSuccess)
    }
}
