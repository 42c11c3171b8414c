import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("monitoring outputs: Nagios line, Prometheus file, schedules, log files")
struct MonitoringTests {
    static func report(_ levels: [(String, StatusLevel)]) -> StatusReport {
        var report = StatusReport(checkedAt: Date(timeIntervalSince1970: 1_764_000_000), checks: levels.map { .init(name: $0.0, level: $0.1, message: "\($0.0) is \($0.1.rawValue) | piped\nsecond line") })
        report.measurements = [.backupAgeSeconds: 1800, .rpoTargetSeconds: 3600, .backupSizeBytes: 123_456, .databaseSizeBytes: 9_000_000,
                               .diskFreePercent: 42.5, .diskWarnPercent: 20, .diskCriticalPercent: 10, .verificationValid: 1, .databaseLatencySeconds: 0.0021]
        return report
    }

    @Test("Nagios: one line, perfdata, exit 0/1/2 by level and 3 UNKNOWN")
    func nagios() {
        let ok = NagiosStatusLine(report: Self.report([("database", .ok), ("backup age", .ok)]))
        #expect(ok.state.exitCode == 0)
        #expect(ok.line.hasPrefix("PRA OK - all 2 checks passed | "))
        #expect(ok.line.contains("backup_age=1800s;;3600;0;"))
        #expect(ok.line.contains("disk_free=42.5%;20:;10:;0;100"))
        #expect(ok.line.contains("backup_size=123456B;;;0;"))
        let warning = NagiosStatusLine(report: Self.report([("database", .ok), ("disk", .warning)]))
        #expect(warning.state.exitCode == 1)
        #expect(warning.line.hasPrefix("PRA WARNING - disk: disk is WARNING / piped second line | "))
        let critical = NagiosStatusLine(report: Self.report([("disk", .warning), ("backup age", .critical)]))
        #expect(critical.state.exitCode == 2)
        #expect(critical.line.contains("checks_critical=1;;;0; checks_warning=1;;;0;"))
        #expect(!critical.line.contains("\n"))
        #expect(critical.line.split(separator: "|").count == 2, "only the perfdata separator")
        let unknown = NagiosStatusLine(unknown: "DISK_WARN_PERCENT=abc is not a percentage")
        #expect(unknown.state.exitCode == 3)
        #expect(unknown.line == "PRA UNKNOWN - DISK_WARN_PERCENT=abc is not a percentage")
    }

    @Test("Prometheus: text exposition with HELP/TYPE, labels escaped, written atomically and readable by node_exporter")
    func prometheus() throws {
        let exposition = PrometheusExposition(report: Self.report([("database", .ok), ("backup \"age\"", .critical)]))
        #expect(exposition.text.contains("# TYPE pra_status_level gauge\npra_status_level 2\n"))
        #expect(exposition.text.contains("pra_check_level{check=\"database\"} 0\n"))
        #expect(exposition.text.contains("pra_check_level{check=\"backup \\\"age\\\"\"} 2\n"))
        #expect(exposition.text.contains("pra_backup_age_seconds 1800\n"))
        #expect(exposition.text.contains("pra_backup_size_bytes 123456\n"))
        #expect(exposition.text.contains("pra_verification_valid 1\n"))
        #expect(exposition.text.contains("pra_database_size_bytes 9000000\n"))
        #expect(exposition.text.contains("pra_disk_free_percent 42.500\n"))
        #expect(exposition.text.contains("pra_status_timestamp_seconds 1764000000\n"))
        #expect(!exposition.text.contains("pra_disk_free_bytes"), "an unmeasured figure is left out, not reported as 0")
        for line in exposition.text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.range(of: #"^pra_[a-z_]+(\{check="([^"\\]|\\.)*"\})? -?[0-9.]+$"#, options: .regularExpression) != nil, "\(line)")
        }
        let directory = TestEnvironment.temporaryDirectory("prom")
        let path = directory + "/pra.prom"
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        try exposition.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == exposition.text)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["pra.prom"], "no temporary file left behind")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
    }

    @Test("--json keeps its keys: measurements stay out of the document")
    func jsonStable() throws {
        let document = try JSONSerialization.jsonObject(with: Data(JSONCoding.document(Self.report([("database", .ok)])).utf8)) as? [String: Any]
        #expect(Set(document?.keys.map { $0 } ?? []) == ["checkedAt", "level", "checks"])
    }

    @Test("cron lines: the plan's seven jobs, absolute paths, quoting, % escaped")
    func cron() {
        let jobs = ScheduledJob.recoveryPlan(envFile: "/etc/pra/my env", restoreTestDatabase: "akig_restore_test", drillDirectory: "/opt/pra")
        let text = ScheduleRenderer(executable: "/usr/local/bin/pra").cron(jobs)
        let entries = text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("/usr/local/bin/pra") }
        #expect(entries.count == 7)
        #expect(entries[0].hasPrefix("0     *   *   *   *   /usr/local/bin/pra backup --incremental --quiet --env-file '/etc/pra/my env' >/dev/null"))
        #expect(entries[1].hasPrefix("0     1   *   *   *   /usr/local/bin/pra backup --base"))
        #expect(entries[2].hasPrefix("30    2   *   *   *   /usr/local/bin/pra backup --full --quiet --env-file '/etc/pra/my env' >/dev/null"))
        #expect(entries[3].hasPrefix("*/5   *   *   *   *   /usr/local/bin/pra status"))
        #expect(entries[4].contains("30    4   *   *   *"))
        #expect(entries[5].contains("restore --latest --target-db akig_restore_test --force"))
        #expect(entries[6].hasPrefix("0     3   1   *   *   cd /opt/pra && /usr/local/bin/pra drill run"))
        let withUser = ScheduleRenderer(executable: "/opt/p%ra/pra", user: "pra").cron(jobs)
        #expect(withUser.contains("pra  '/opt/p\\%ra/pra' backup"))
        #expect(ScheduleRenderer.shellQuote("it's") == "'it'\\''s'")
    }

    @Test("systemd units: a service and a timer per job, OnCalendar, quoted ExecStart")
    func systemd() {
        let jobs = ScheduledJob.recoveryPlan(envFile: "/etc/pra/.env", restoreTestDatabase: nil, drillDirectory: "/opt/pra dir")
        let text = ScheduleRenderer(executable: "/usr/local/bin/pra", user: "pra").systemd(jobs)
        for job in ["backup-incremental", "backup-base", "backup", "status", "verify", "restore-test", "drill"] {
            #expect(text.contains("# ==> /etc/systemd/system/pra-\(job).service <=="))
            #expect(text.contains("# ==> /etc/systemd/system/pra-\(job).timer <=="))
        }
        #expect(text.contains("ExecStart=/usr/local/bin/pra backup --full --quiet --env-file /etc/pra/.env\n"))
        #expect(text.contains("OnCalendar=*-*-* *:00/5:00"))
        #expect(text.contains("OnCalendar=*-*-01 03:00:00"))
        #expect(text.contains("WorkingDirectory=\"/opt/pra dir\""))
        #expect(text.contains("User=pra"))
        #expect(text.contains("systemctl enable --now pra-backup-incremental.timer pra-backup-base.timer pra-backup.timer pra-status.timer"))
        #expect(ScheduleRenderer.systemdQuote("50%") == "50%%")
    }

    @Test("command log: per command and day, timestamped, secrets redacted")
    func commandLog() throws {
        let directory = TestEnvironment.temporaryDirectory("log") + "/logs"
        let log = CommandLog()
        log.useRedactor(SecretRedactor(secrets: ["s3cret-pass"]))
        let date = Date(timeIntervalSince1970: 1_764_000_000)
        let path = try log.open(directory: directory, command: "backup", date: date)
        #expect((path as NSString).lastPathComponent == "pra-backup-20251124.log")
        let shown = log.record("pra: error: login failed for s3cret-pass", date: date)
        #expect(shown == "pra: error: login failed for ***")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "2025-11-24T16:00:00Z pra[\(getpid())] pra: error: login failed for ***\n")
    }

    @Test("the secrets of a configuration: passwords, the DATABASE_URL password, the webhook token")
    func redactor() throws {
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: [
            "PGPASSWORD": "pg-pass-1", "SMTP_PASSWORD": "smtp-pass-2",
            "DATABASE_URL": "postgresql://u:url-pass-3@h/db", "SLACK_WEBHOOK": "https://hooks.example/services/T0/B0/tok4",
        ])
        let redactor = SecretRedactor(configuration: configuration)
        let text = redactor.redact("pg-pass-1 smtp-pass-2 url-pass-3 https://hooks.example/services/T0/B0/tok4")
        #expect(text == "*** *** *** ***", "the webhook URL is hidden whole")
    }
}

@Suite("status figures on a real PostgreSQL", .requires(.postgresServer))
struct StatusMeasurementTests {
    @Test("the measurements come from the newest manifest, its verification and the disk")
    func measurements() throws {
        let database = try TestEnvironment.fixtureDatabase("statusfig", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("statusfig")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        let backup = try BackupOperation(configuration: configuration).run()
        VerificationRecord.save(ArchiveVerifier().verify(archivePath: backup.archive, manifestPath: backup.manifest, requireManifest: true))
        let report = try StatusOperation(configuration: configuration).run()
        #expect(report.measurements[.backupSizeBytes] == Double(backup.compressedBytes))
        #expect(report.measurements[.verificationValid] == 1)
        #expect((report.measurements[.databaseSizeBytes] ?? 0) > 0)
        #expect((report.measurements[.diskFreeBytes] ?? 0) > 0)
        #expect((report.measurements[.backupAgeSeconds] ?? -1) >= 0)
        let prometheus = PrometheusExposition(report: report).text
        #expect(prometheus.contains("pra_backup_size_bytes \(backup.compressedBytes)\n"))
        #expect(NagiosStatusLine(report: report).line.hasPrefix("PRA OK - "))
    }
}
