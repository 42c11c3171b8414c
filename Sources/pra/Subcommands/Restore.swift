import ArgumentParser
import Foundation
import PRACore

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup into a new database (or, with --pitr, a cluster to a point in time) and check the result.",
        discussion: """
            Logical restore (the default): chooses the newest complete backup (--latest, the default) or the given file and loads it \
            into a staging database over PRA_JOBS connections (the schema, then the tables' data in \
            chunks that several connections load at once, with at most RESTORE_SPILL_LIMIT of spill \
            files in TMPDIR, then indexes and constraints, as pg_restore -j does; one connection and one transaction when \
            PRA_JOBS=1 or the file is not a plain pg_dump), verifying it in the same pass (manifest and \
            size first; gzip stream, SHA-256 and dump trailer while loading). An archive that fails \
            verification is thrown away with its staging database and the previous valid backup is \
            used instead (and the fallback is reported). The staging database is renamed to the \
            target (default RESTORE_DB, else <database>_restore) only when load and verification \
            succeeded, so a failure leaves nothing half-restored. Then checks table count, row counts against the manifest, CRITICAL_TABLES, \
            APP_HEALTH_URL and API_ENDPOINTS, and writes pra_restore_report_<stamp>.txt in REPORT_DIR.
            With --latest and REMOTE_TARGET set, when no local backup is present and valid, the remote \
            copies are fetched (newest first) and restored instead; the report says so.
            Failures are alerted (SLACK_WEBHOOK, ALERT_EMAIL).

            Point-in-time recovery (--pitr --target-dir DIR): picks the newest base backup (pra backup \
            --base) that finished before the target, extracts it into DIR while verifying it (an older \
            one that verifies is used when it does not), checks it with pg_verifybackup, sets \
            restore_command to pra wal get and the target, starts a server on DIR (port --port or a \
            free one), waits until recovery paused at the target, checks the point reached and \
            CRITICAL_TABLES before promoting it (a copy that fails them is never promoted), then the \
            server and the health URLs, and writes the report. The server is left running and the \
            command prints shell exports to reach it (eval-able) and, as a comment, the line that \
            stops it ("# stop it with: ...", as its owner: pg_ctl refuses root); --stop stops it \
            after the checks. \
            DIR must be empty or new; --force moves a data directory found there aside \
            (DIR.pra-replaced-<stamp>, put back if the restore fails). Refused whatever the flags: a \
            DIR that holds BACKUP_DIR, REPORT_DIR or LOG_DIR, any postmaster.pid, or (non-empty) \
            anything but a PostgreSQL data directory. As root, tar and the recovered server run as \
            RUN_AS_USER (default postgres; --run-as USER), never as root, and DIR must be owned by \
            root or that user: choose it under a directory only root can write (/var/lib/pra, not \
            /tmp). WAL \
            archiving is off on the recovered server unless --archive (use it when the recovered server \
            becomes the primary). No target: everything archived. When the WAL needed for the target is \
            missing, the error names the segment and the latest time that can be reached.
            With REMOTE_TARGET set, when no local base backup for the target verifies (or none is \
            left: the site was lost), or with --from-remote, the off-site base backups (pra backup \
            --base copies them) are tried newest first: each is streamed from the store (no local copy \
            of the archive; its manifests go into a private BACKUP_DIR/.pra-remote-fetch-XXXXXX, removed \
            afterwards), verified against its off-site manifest and pg_verifybackup while extracted as a \
            local one; an incremental one is assembled from its off-site chain (each link's manifest \
            and range map fetched and checked, each archive streamed and verified while applied); an \
            older one is used when it does not verify, a link of its chain is broken, or its transfer \
            breaks. restore_command then reads an env file (mode 0600, the server user's, in \
            BACKUP_DIR/.pra-restore-env-XXXXXX, removed when the restore ends) holding REMOTE_TARGET and \
            its keys, never in argv or postgresql.auto.conf. The report and --json say where the base \
            backup and the WAL came from.

            The target is never the source database by accident: a target that is the database the \
            settings connect to, or the database a candidate backup was taken from (its manifest), is \
            refused while it exists unless --replace-source is given. When it no longer exists (it was \
            dropped), restoring under its own name is in-place recovery and allowed. An existing \
            target is replaced safely: renamed aside, the restored database renamed into place, and \
            only then the old one dropped; any failure renames it back. Two restores into the same \
            target never run at once (an advisory lock per target; the second is refused). Archives \
            never run psql meta-commands: a line starting with a backslash outside COPY data (other \
            than pg_dump's own \\restrict/\\unrestrict pair, whose key the manifest records) makes the \
            archive invalid, naming the line, as does a COPY statement in a form pg_dump never writes, \
            a change of standard_conforming_strings or client_encoding, a NUL byte, or a statement \
            acting beyond the restored database (roles, other databases, ALTER SYSTEM, LOAD); and psql \
            itself is started restricted with a key of pra's (\\restrict), so it refuses meta-commands \
            too. As root, \
            psql runs as RUN_AS_USER (default postgres), never as root.

            Evidence: every restore that ran (succeeded or not; not one refused before it started) \
            appends one record to the evidence log EVIDENCE_FILE (default REPORT_DIR/evidence.jsonl; \
            none: off): the database, the backup used and its age, the size restored, the measured \
            RTO with its phases, the checks. pra report reads it as the plan's restore tests. A log \
            that cannot be written is a warning line (and evidenceError in --json), never a failure.

            Exit codes: 0 restored and every check passed, 1 restore or a check failed, or the \
            restore report could not be written in REPORT_DIR (the restored database stands), 2 usage or \
            configuration error (including a target in the future, a non-empty directory, a missing \
            backup directory, an archive that does not exist, or nothing configured to connect to). \
            --file takes a path or a bare archive name, looked up in BACKUP_DIR.

            Examples:
              pra restore --latest --target-db akig_restore
              pra restore --file /mnt/offsite/akig.sql.gz --target-db akig --force
              eval "$(pra restore --pitr --target-dir /srv/pg/recovered \\
                        --target-time '2026-12-01 14:01:30')"
              # lost cluster: the latest point, on the production port, archiving on:
              pra restore --pitr --target-dir /srv/pg/main --archive --port 5432
            """)

    @Flag(name: .long, help: "Point-in-time recovery of the whole cluster from a base backup and the WAL archive.")
    var pitr = false

    @Option(name: .long, help: ArgumentHelp("--pitr: the new data directory (empty or new).", valueName: "dir"))
    var targetDir: String?

    @Option(name: .long, help: ArgumentHelp("--pitr: port of the recovered server (default: a free one).", valueName: "port"))
    var port: Int?

    @Option(name: .long, help: ArgumentHelp("--pitr: recover to this moment, as PostgreSQL prints it ('2026-12-01 14:01:30.702249+00', '... UTC'), ISO 8601 (2026-12-01T14:01:30Z, +01:00) or 'YYYY-MM-DD HH:MM:SS' local time.", valueName: "time"))
    var targetTime: String?

    @Option(name: .long, help: ArgumentHelp("--pitr: recover to this WAL position (X/Y).", valueName: "lsn"))
    var targetLsn: String?

    @Option(name: .long, help: ArgumentHelp("--pitr: recover to this restore point (pg_create_restore_point).", valueName: "name"))
    var targetName: String?

    @Flag(name: .long, help: "--pitr: stop the recovered server after the checks.")
    var stop = false

    @Flag(name: .long, help: "--pitr: restore a base backup from REMOTE_TARGET (the off-site copy) even when a local one would do.")
    var fromRemote = false

    @Flag(name: .long, help: "--pitr: keep WAL archiving on the recovered server (it becomes the primary).")
    var archive = false

    @Option(name: .long, help: ArgumentHelp("Restore this archive (a pra archive or a stock pg_dump | gzip file).", valueName: "archive"))
    var file: String?

    @Flag(name: .long, help: "Restore the newest complete backup that verifies (default).")
    var latest = false

    @Option(name: .long, help: ArgumentHelp("Database to create (default RESTORE_DB, else <database>_restore).", valueName: "name"))
    var targetDb: String?

    @Flag(name: .long, help: "Replace the target database when it exists.")
    var force = false

    @Flag(name: .long, help: "Allow replacing the source database itself (the one PGDATABASE reaches, or the backup was taken from) while it exists.")
    var replaceSource = false

    @Option(name: .long, help: ArgumentHelp("As root: the OS user that extracts the base backup and runs the recovered server (default RUN_AS_USER, else postgres; never root).", valueName: "user"))
    var runAs: String?

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @Flag(name: .long, help: "Alert on success too (as ALERT_ON_SUCCESS=true).")
    var alertOnSuccess = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if file != nil && latest { throw ValidationError("--file and --latest exclude each other") }
        if pitr && replaceSource { throw ValidationError("--replace-source is for logical restores") }
        let targets = [targetTime, targetLsn, targetName].compactMap { $0 }
        if pitr {
            if targetDir == nil { throw ValidationError("--pitr needs --target-dir DIR: the new data directory") }
            if file != nil || targetDb != nil { throw ValidationError("--pitr restores a whole cluster into --target-dir; --file and --target-db are for logical restores") }
            if targets.count > 1 { throw ValidationError("give at most one of --target-time, --target-lsn and --target-name") }
            if let targetTime, RecoveryTarget.parseTime(targetTime) == nil {
                throw ValidationError("--target-time \(targetTime) is not a time: use what select now() prints ('2026-12-01 14:01:30.702249+00'), ISO 8601 (2026-12-01T14:01:30Z) or 'YYYY-MM-DD HH:MM:SS' (local time)")
            }
            if let targetLsn, LogSequenceNumber(targetLsn) == nil { throw ValidationError("--target-lsn \(targetLsn) is not an LSN (X/Y, as 0/3000028)") }
        } else if targetDir != nil || port != nil || !targets.isEmpty || stop || archive || runAs != nil || fromRemote {
            throw ValidationError("--target-dir, --port, --target-time, --target-lsn, --target-name, --stop, --archive, --run-as and --from-remote need --pitr")
        }
    }

    private var recoveryTarget: RecoveryTarget {
        if let targetTime, let date = RecoveryTarget.parseTime(targetTime) { return .time(date) }
        if let targetLsn, let lsn = LogSequenceNumber(targetLsn) { return .lsn(lsn) }
        if let targetName { return .name(targetName) }
        return .latest
    }

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "restore")
        InterruptCleanup.shared.installSignalHandlers()
        let paths = BackupDirectoryPaths(configuration: configuration)
        let source: RestoreOperation.Source
        do {
            if let file {
                source = .file(try paths.resolve(file))
            } else {
                source = .latest
                if !pitr && configuration[.remoteTarget] == nil { try paths.requireDirectory() }
            }
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        let result: RestoreResult
        do {
            if pitr, let targetDir {
                let request = PointInTimeRestoreOperation.Request(targetDirectory: targetDir, target: recoveryTarget, port: port, force: force, stopAfterChecks: stop, keepArchiving: archive, runAs: runAs, fromRemote: fromRemote)
                // The moment as understood, in UTC, before anything starts: a misread zone shows here.
                if case .time = recoveryTarget, !common.quiet { Terminal.info("recovering to \(recoveryTarget) (UTC)") }
                result = try PointInTimeRestoreOperation(configuration: configuration, progress: json ? nil : common.progress).run(request)
            } else {
                let maintenance = ConnectionPreflight.restoreMaintenanceDatabase(configuration)
                try ConnectionPreflight.check(configuration, database: maintenance.name, databaseOrigin: maintenance.origin)
                result = try RestoreOperation(configuration: configuration, progress: json ? nil : common.progress).run(source: source, targetDatabase: targetDb, force: force, replaceSource: replaceSource)
            }
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(error))) }
            let exit = Terminal.fail(OperationFailure(stage: error.stage, message: "restore refused: \(error.message)", isUsageError: error.isUsageError))
            Terminal.alert(Alert(kind: .failure, command: "restore", what: "restore refused", location: Terminal.location(configuration), detail: error.description), configuration: configuration)
            throw exit
        }
        show(result, configuration: configuration)
        let location = "database \(result.targetDatabase) (\(Terminal.location(configuration)))"
        if !result.succeeded {
            let exit = Terminal.fail(result.summary, exitCode: 1)
            Terminal.alert(Alert(kind: .failure, command: "restore", what: "restore failed", location: location, detail: result.summary), configuration: configuration)
            throw exit
        }
        // The report is the restore test's record: a restore whose report cannot be written has
        // no evidence for the plan, so it exits 1 although the database itself stands.
        if let problem = result.reportError {
            let exit = Terminal.fail("the restore completed, but \(problem)", exitCode: 1)
            Terminal.alert(Alert(kind: .failure, command: "restore", what: "restore report not written", location: location, detail: problem), configuration: configuration)
            throw exit
        }
        Terminal.record("pra: " + result.summary)
        Terminal.alert(Alert(kind: .success, command: "restore", what: "restore complete", location: location, detail: result.summary), configuration: configuration, alertOnSuccess: alertOnSuccess)
    }

    /// The restore's warnings on stderr, then its outcome on stdout (JSON, or lines; after a
    /// point-in-time restore stdout stays eval-able).
    private func show(_ result: RestoreResult, configuration: Configuration) {
        for check in result.checks where check.kind == .archiveCaughtUp && !common.quiet { Terminal.info(check.message) }
        for skipped in result.skippedBackups { Terminal.warn("fallback: \(skipped)") }
        for fetched in result.fetchedFromRemote { Terminal.warn(fromRemote ? "restoring the off-site copy \(fetched)" : "no valid local backup: restoring the remote copy \(fetched)") }
        // An unwritable report is the restore's error line (see run); a failed restore's stays a warning.
        if let problem = result.reportError, !result.succeeded { Terminal.warn(problem) }
        if let problem = result.evidenceError { Terminal.warn(problem) }
        if json {
            Terminal.output(JSONCoding.document(result))
        } else {
            if common.verbose, let method = result.loadMethod { Terminal.output("loaded over \(method)\n") }
            if common.verbose, let peak = result.peakSpillBytes, let limit = result.spillLimitBytes {
                Terminal.output("spill files: at most \(peak / 1_048_576) MiB on disk at once (\(Setting.restoreSpillLimit.name) \(limit / 1_048_576) MiB); up to \(result.peakConnectionsPerTable ?? 0) connections on one table\n")
            }
            if common.verbose || !result.succeeded {
                for check in result.checks { Terminal.output("\(check.passed ? "✓" : "✗") \(check.name): \(check.message)\n") }
            }
            if let pitr = result.pointInTime {
                // stdout stays eval-able: comments and exports only.
                if let report = result.reportFile { Terminal.output("# report: \(report)\n") }
                if result.succeeded { Terminal.output("# " + result.summary + "\n") }
                if let base = pitr.baseBackupSource, let wal = pitr.walSource { Terminal.output("# base backup from \(base); WAL from the \(wal)\n") }
                if pitr.serverRunning {
                    let user = try? configuration.connectionSettings().libpqParameters["user"]
                    Terminal.output(pitr.exports(user: user ?? nil, database: result.targetDatabase))
                }
            } else {
                if let report = result.reportFile { Terminal.output("report: \(report)\n") }
                if result.succeeded { Terminal.output(result.summary + "\n") }
            }
        }
    }
}
