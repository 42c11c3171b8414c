import ArgumentParser
import Foundation
import PRACore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the database, the newest backup against RPO_TARGET, health and free space.",
        discussion: """
            Each check is OK, WARNING or CRITICAL. Exit codes: 0 every check OK, 1 any CRITICAL, \
            2 the worst is a WARNING (so a cron job or a script can tell a warning from an outage), \
            3 (UNKNOWN) when the configuration is wrong (RPO_TARGET=abc, a malformed env file, a \
            BACKUP_DIR that does not exist, nothing configured to connect to while libpq's defaults \
            reach no server): distinct from every level. A configured server that cannot be reached \
            is a CRITICAL check.

            Only the configured database's backups are judged (archive prefix and the manifest's \
            database); a manifest that finished in the future, or whose archive has another size, \
            does not count as a backup.

            Checks: database reachable (latency), CRITICAL_TABLES present, database size, age of the \
            newest complete backup against RPO_TARGET, whether its last verification failed, \
            APP_HEALTH_URL answering 2xx, free space in BACKUP_DIR against DISK_WARN_PERCENT and \
            DISK_CRITICAL_PERCENT. With a WAL archive: the archiver, the newest segment's age, the \
            recoverable window; and with REMOTE_TARGET too, the off-site lag (how long archived WAL \
            has waited to go off-site: the RPO after losing the site; CRITICAL over RPO_TARGET; when \
            the store cannot be asked, bounded from the last measurement), the off-site queue against \
            WAL_REMOTE_QUEUE_LIMIT (async mode) and the window of the off-site copy alone. That costs \
            one listing of REMOTE_TARGET/wal/ and of its root and one small download per off-site \
            base backup manifest, each request bounded by HEALTH_TIMEOUT.

            --standby DIR reports on the warm standby in DIR instead (pra standby status): its \
            replay lag against the WAL archive and whether it is promotable; CRITICAL when it is \
            not, WARNING when the lag is over RPO_TARGET, same exit codes.

            --nagios prints one plugin line with performance data and exits as a Nagios plugin: \
            0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. --prometheus FILE also writes the figures in \
            Prometheus text format for node_exporter's textfile collector: a regular file is replaced \
            atomically; - is standard output, and a symbolic link, device or FIFO is written through \
            (as a shell redirect would), never replaced.

            Alerts (SLACK_WEBHOOK, ALERT_EMAIL): once when the status turns CRITICAL, once when it is \
            OK again; the state is kept in BACKUP_DIR/.pra-status-alert.json.

            Evidence: each run (also when the database is down) appends a sample to the evidence \
            log EVIDENCE_FILE (default REPORT_DIR/evidence.jsonl; none: off) from the figures above: \
            reachable, level, backup, WAL and off-site ages, archiver state, size. pra report judges \
            availability and RPO exposure from them. Samples older than EVIDENCE_SAMPLE_RETENTION \
            become hourly summaries about once a day. A log that cannot be written is a warning \
            line (and evidenceError in --json), never a level. See pra evidence --help.

            Examples (pra schedule print --cron prints the cron line):
              pra status -q --prometheus /var/lib/prometheus/node-exporter/pra.prom
              pra status --nagios --env-file /etc/pra/.env      # NRPE command
            """)

    @Flag(name: .long, help: "Print the report as one JSON document.")
    var json = false

    @Flag(name: .long, help: "Print one Nagios plugin line with perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")
    var nagios = false

    @Option(name: .long, help: ArgumentHelp("Also write the status in Prometheus text format to this file (atomically; - for standard output).", valueName: "file"))
    var prometheus: String?

    @Option(name: .long, help: ArgumentHelp("Report on the warm standby in this directory instead (as pra standby status): replay lag and whether it is promotable.", valueName: "dir"))
    var standby: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if json && nagios { throw ValidationError("--json and --nagios exclude each other") }
        if standby != nil && (nagios || prometheus != nil) { throw ValidationError("--standby prints the standby's state (text or --json); --nagios and --prometheus are for the primary's status") }
    }

    func run() throws {
        let configuration: Configuration
        do {
            configuration = try common.loadConfiguration(logAs: "status")
        } catch {
            if nagios { throw unknown("configuration error (the line above on stderr says which)") }
            // Exit 3 (UNKNOWN): a configuration error is none of the levels 0, 1 and 2.
            throw ExitCode(3)
        }
        if let standby { return try StandbyStatus.report(configuration: configuration, directory: standby, json: json) }
        if let problem = Self.configurationProblem(configuration) {
            // Exit 3 (UNKNOWN), as any configuration error: the state of nothing is known.
            if nagios {
                Terminal.info("error: \(problem)")
                throw unknown(problem)
            }
            throw Terminal.fail(problem, exitCode: 3)
        }
        let report: StatusReport
        do {
            report = try StatusOperation(configuration: configuration).run()
        } catch {
            if nagios {
                Terminal.info("error: \(error.description)")
                throw unknown(error.description)
            }
            throw Terminal.fail(error.description, exitCode: 3)
        }
        if let problem = report.evidenceError { Terminal.warn(problem) }
        if let prometheus {
            do {
                try PrometheusExposition(report: report, restoreTestAt: RestoreTestRecord.newestSuccess(in: configuration.reportDirectory)).write(to: prometheus)
            } catch {
                Terminal.warn("cannot write the Prometheus file: \(error)")
            }
        }
        let dispatcher = AlertDispatcher(configuration: configuration)
        Terminal.report(dispatcher.statusChecked(report, location: Terminal.location(configuration), backupDirectory: configuration.backupDirectory), from: dispatcher)
        if nagios {
            let line = NagiosStatusLine(report: report)
            Terminal.output(CommandLog.shared.redact(line.line) + "\n")
            Terminal.record(line.line)
            if line.state != .ok { throw ExitCode(line.state.exitCode) }
            return
        }
        Terminal.output(json ? JSONCoding.document(report) : report.text)
        if report.level != .ok {
            throw Terminal.fail(report.headline, exitCode: report.level.exitCode)
        }
        Terminal.record("pra: status OK")
    }

    /// What makes a status meaningless, as verify and restore refuse it: a backup directory
    /// that does not exist (its backups and free space would be judged in the void), or nothing
    /// configured to connect to when libpq's defaults reach no server either. A configured
    /// server that is down stays a CRITICAL check: status connects once, within
    /// PGCONNECT_TIMEOUT, and only in the nothing-configured case.
    static func configurationProblem(_ configuration: Configuration) -> String? {
        if ConnectionDiagnosis(configuration: configuration).nothingConfigured {
            do {
                try ConnectionPreflight.check(configuration)
            } catch {
                return error.message
            }
        }
        do {
            try BackupDirectoryPaths(configuration: configuration).requireDirectory()
        } catch {
            return error.description
        }
        return nil
    }

    /// Prints the UNKNOWN plugin line; returns exit code 3.
    private func unknown(_ reason: String) -> ExitCode {
        let line = NagiosStatusLine(unknown: reason)
        Terminal.output(CommandLog.shared.redact(line.line) + "\n")
        Terminal.record(line.line)
        return ExitCode(line.state.exitCode)
    }
}
