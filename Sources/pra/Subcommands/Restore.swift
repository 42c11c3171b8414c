import ArgumentParser
import PRACore

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup into a new database, verifying it as it loads, and check the result.",
        discussion: """
            Chooses the newest complete backup (--latest, the default) or the given file and loads it \
            into a staging database in one transaction, verifying it in the same pass (manifest and \
            size first; gzip stream, SHA-256 and dump trailer while loading). An archive that fails \
            verification is thrown away with its staging database and the previous valid backup is \
            used instead (and the fallback is reported). The staging database is renamed to the \
            target (default RESTORE_DB, else <database>_restore) only when load and verification \
            succeeded, so a failure leaves nothing half-restored. Then checks table count, row counts against the manifest, CRITICAL_TABLES, \
            APP_HEALTH_URL and API_ENDPOINTS, and writes pra_restore_report_<stamp>.txt in REPORT_DIR.
            With --latest and REMOTE_TARGET set, when no local backup is present and valid, the remote \
            copies are fetched (newest first) and restored instead; the report says so.
            Failures are alerted (SLACK_WEBHOOK, ALERT_EMAIL).

            Examples:
              pra restore --latest --target-db akig_restore
              pra restore --file /mnt/offsite/akig.sql.gz --target-db akig --force
            """)

    @Option(name: .long, help: ArgumentHelp("Restore this archive (a pra archive or a stock pg_dump | gzip file).", valueName: "archive"))
    var file: String?

    @Flag(name: .long, help: "Restore the newest complete backup that verifies (default).")
    var latest = false

    @Option(name: .long, help: ArgumentHelp("Database to create (default RESTORE_DB, else <database>_restore).", valueName: "name"))
    var targetDb: String?

    @Flag(name: .long, help: "Replace the target database when it exists.")
    var force = false

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @Flag(name: .long, help: "Alert on success too (as ALERT_ON_SUCCESS=true).")
    var alertOnSuccess = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if file != nil && latest { throw ValidationError("--file and --latest exclude each other") }
    }

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "restore")
        InterruptCleanup.shared.installSignalHandlers()
        let source: RestoreOperation.Source = file.map { .file($0) } ?? .latest
        let result: RestoreResult
        do {
            result = try RestoreOperation(configuration: configuration, progress: json ? nil : common.progress).run(source: source, targetDatabase: targetDb, force: force)
        } catch {
            if json { Terminal.output(JSONCoding.document(FailureDocument(error))) }
            let exit = Terminal.fail(OperationFailure(stage: error.stage, message: "restore refused: \(error.message)", isUsageError: error.isUsageError))
            Terminal.alert(Alert(kind: .failure, command: "restore", what: "restore refused", location: Terminal.location(configuration), detail: error.description), configuration: configuration)
            throw exit
        }
        for skipped in result.skippedBackups { Terminal.warn("fallback: \(skipped)") }
        for fetched in result.fetchedFromRemote { Terminal.warn("no valid local backup: restoring the remote copy \(fetched)") }
        if let problem = result.reportError { Terminal.warn(problem) }
        if json {
            Terminal.output(JSONCoding.document(result))
        } else {
            if common.verbose || !result.succeeded {
                for check in result.checks { Terminal.output("\(check.passed ? "✓" : "✗") \(check.name): \(check.message)\n") }
            }
            if let report = result.reportFile { Terminal.output("report: \(report)\n") }
            if result.succeeded { Terminal.output(result.summary + "\n") }
        }
        let location = "database \(result.targetDatabase) (\(Terminal.location(configuration)))"
        if !result.succeeded {
            let exit = Terminal.fail(result.summary, exitCode: 1)
            Terminal.alert(Alert(kind: .failure, command: "restore", what: "restore failed", location: location, detail: result.summary), configuration: configuration)
            throw exit
        }
        Terminal.record("pra: " + result.summary)
        Terminal.alert(Alert(kind: .success, command: "restore", what: "restore complete", location: location, detail: result.summary), configuration: configuration, alertOnSuccess: alertOnSuccess)
    }
}
