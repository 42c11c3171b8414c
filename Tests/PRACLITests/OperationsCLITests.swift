import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The operations features through the built `pra`: monitoring outputs, schedules, log files,
/// remote copy failures with their exit code and alert, and no secret anywhere.
@Suite("pra executable: operations", .requires(.postgresServer))
struct OperationsCLITests {
    static let password = "Op5-hunter2-never-shown"

    @Test("remote copy unreachable: exit 3, one error line, the local backup kept, the alert sent and logged, no password anywhere")
    func remoteCopyFailure() throws {
        let database = try TestEnvironment.fixtureDatabase("cliops", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("cliops")
        let slack = try LoopbackHTTPServer { _ in 200 }
        let failingSlack = try LoopbackHTTPServer { _ in 500 }
        var environment = TestEnvironment.environment(database: database, backupDirectory: directory + "/backups", extra: [
            "REMOTE_TARGET": "ssh://pra@127.0.0.1:1/srv/pra", "SLACK_WEBHOOK": slack.url("/services/T/B/token"),
            "LOG_DIR": directory + "/logs", "SMTP_PASSWORD": Self.password, "PGPASSWORD": Self.password,
        ])
        let result = try PraBinary.run(["backup", "--full"], environment: environment)
        #expect(result.exitCode == 3, "\(result.stderr)")
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("pra: error:") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("remote copy failed: ") == true && errors.first?.contains("is complete") == true, "\(result.stderr)")
        #expect(BackupCatalogue(directory: directory + "/backups").complete.count == 1, "the local backup stays")
        let payload = String(decoding: try #require(slack.requests.first).body, as: UTF8.self)
        #expect(payload.contains("remote copy failed"))

        // A failing alert channel is a warning; the exit code stays the backup's own.
        environment["SLACK_WEBHOOK"] = failingSlack.url("/services/T/B/token")
        environment["REMOTE_TARGET"] = directory + "/offsite"
        let good = try PraBinary.run(["backup", "--full", "--alert-on-success"], environment: environment)
        #expect(good.exitCode == 0, "\(good.stderr)")
        #expect(good.stderr.contains("slack alert via http://127.0.0.1:\(failingSlack.port) failed: HTTP 500"))
        #expect(good.stdout.contains("remote copy verified"))

        let logs = try FileManager.default.contentsOfDirectory(atPath: directory + "/logs")
        #expect(logs == [CommandLog.fileName(command: "backup", date: Date())])
        let log = try String(contentsOfFile: directory + "/logs/" + logs[0], encoding: .utf8)
        for line in (result.stderr + good.stderr).split(separator: "\n") {
            #expect(log.contains(String(line)), "the log lacks: \(line)")
        }
        var everything = result.stdout + result.stderr + good.stdout + good.stderr + log + payload
        everything += failingSlack.requests.map { String(decoding: $0.body, as: UTF8.self) }.joined()
        #expect(!everything.contains(Self.password))
        #expect(!everything.contains("/services/T/B/token"))
    }

    @Test("status --nagios and --prometheus: plugin exit codes, perfdata, the textfile written")
    func monitoring() throws {
        let database = try TestEnvironment.fixtureDatabase("clinagios", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("clinagios")
        var environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        let critical = try PraBinary.run(["status", "--nagios"], environment: environment)
        #expect(critical.exitCode == 2)
        #expect(critical.stdout.hasPrefix("PRA CRITICAL - backup age: no complete backup in "))
        #expect(critical.stdout.split(separator: "\n").count == 1)

        #expect(try PraBinary.run(["backup", "--full"], environment: environment).exitCode == 0)
        let prom = directory + "/textfile/pra.prom"
        try FileManager.default.createDirectory(atPath: directory + "/textfile", withIntermediateDirectories: true)
        let ok = try PraBinary.run(["status", "--nagios", "--prometheus", prom], environment: environment)
        #expect(ok.exitCode == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.hasPrefix("PRA OK - all "))
        #expect(ok.stdout.contains("| backup_age="))
        let text = try String(contentsOfFile: prom, encoding: .utf8)
        #expect(text.contains("pra_status_level 0\n"))
        #expect(text.contains("pra_backup_size_bytes "))

        environment["DISK_WARN_PERCENT"] = "100"
        #expect(try PraBinary.run(["status", "--nagios"], environment: environment).exitCode == 1)
        environment["DISK_WARN_PERCENT"] = "lots"
        let unknown = try PraBinary.run(["status", "--nagios"], environment: environment)
        #expect(unknown.exitCode == 3)
        #expect(unknown.stdout.hasPrefix("PRA UNKNOWN - "))
        // Without --nagios a configuration error is 3 as well (issue 9, row 10): 2 would read as WARNING.
        #expect(try PraBinary.run(["status"], environment: environment).exitCode == 3, "a configuration error is none of the levels")
    }

    @Test("schedule print: cron lines and systemd units with the absolute paths of pra and the env file")
    func schedule() throws {
        let directory = TestEnvironment.temporaryDirectory("clisched")
        let envFile = directory + "/pra.env"
        try "LOG_DIR=/var/log/pra\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let environment = TestEnvironment.environment(database: "akig", backupDirectory: directory)
        let cron = try PraBinary.run(["schedule", "print", "--cron", "--env-file", envFile], environment: environment)
        #expect(cron.exitCode == 0, "\(cron.stderr)")
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") == "" ? "" : (PraBinary.path as NSString).resolvingSymlinksInPath
        #expect(cron.stdout.contains("*/5   *   *   *   *   \(executable) status --quiet --env-file \(envFile) >/dev/null"), "\(cron.stdout)")
        #expect(cron.stdout.contains("restore --latest --target-db akig_restore_test --force"))
        #expect(cron.stdout.contains("\(executable) backup --incremental --quiet --env-file \(envFile) >/dev/null"))
        #expect(cron.stdout.contains("#   archive_command = '\(executable) wal push %p --env-file \(envFile)'"), "\(cron.stdout)")
        #expect(cron.stderr.isEmpty)
        let systemd = try PraBinary.run(["schedule", "print", "--systemd", "--env-file", envFile], environment: environment)
        #expect(systemd.stdout.contains("ExecStart=\(executable) backup --full --quiet --env-file \(envFile)\n"))
        #expect(try PraBinary.run(["schedule", "print", "--cron", "--systemd"], environment: environment).exitCode == 2)
    }
}
