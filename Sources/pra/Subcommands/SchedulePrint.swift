import ArgumentParser
import Foundation
import PRACore

struct SchedulePrint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "Print ready-to-install entries: hourly backup, status every 5 minutes, daily verify, weekly restore test, monthly drill.",
        discussion: """
            Uses the absolute path of this pra executable and of the env file (--env-file, else ./.env \
            when present, else /etc/pra/.env), so the entries work from cron's or systemd's minimal \
            environment. Set LOG_DIR in the env file: each command then appends its stderr lines to \
            LOG_DIR/pra-<command>-<YYYYMMDD>.log.

            Exit codes: 0 printed, 2 usage error (for example --cron with --systemd).

            Examples:
              pra schedule print --cron --env-file /etc/pra/.env | crontab -u pra -
              pra schedule print --systemd --user pra --env-file /etc/pra/.env
            """)

    @Flag(name: .long, help: "Cron lines (the default).")
    var cron = false

    @Flag(name: .long, help: "systemd service and timer units.")
    var systemd = false

    @Option(name: .long, help: ArgumentHelp("Run the jobs as this user (/etc/cron.d user column, systemd User=).", valueName: "name"))
    var user: String?

    @Option(name: .long, help: ArgumentHelp("Database of the weekly restore test (default: <PGDATABASE>_restore_test, else RESTORE_DB).", valueName: "name"))
    var restoreTestDb: String?

    @Option(name: .long, help: ArgumentHelp("Directory the monthly drill runs in, holding scenarios/ (default: the current directory).", valueName: "dir"))
    var drillDir: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if cron && systemd { throw ValidationError("--cron and --systemd exclude each other") }
        if let user, user.isEmpty || !user.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) {
            throw ValidationError("--user \(user) is not a user name")
        }
    }

    func run() throws {
        let configuration = try common.loadConfiguration()
        let current = FileManager.default.currentDirectoryPath
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : ((current as NSString).appendingPathComponent(path) as NSString).standardizingPath
        }
        let envFile = common.envFile.map(absolute) ?? configuration.envFilePath.map(absolute) ?? "/etc/pra/.env"
        let executable = RunningExecutable.path
        let restoreDatabase = restoreTestDb ?? configuration[.pgDatabase].map { "\($0)_restore_test" }
        let jobs = ScheduledJob.recoveryPlan(envFile: envFile, restoreTestDatabase: restoreDatabase, drillDirectory: absolute(drillDir ?? current))
        let renderer = ScheduleRenderer(executable: executable, user: user)
        Terminal.output(systemd ? renderer.systemd(jobs) : renderer.cron(jobs))
        Terminal.output(renderer.archivingSettings(envFile: envFile))
        if configuration[.logDir] == nil {
            Terminal.warn("LOG_DIR is not set: the scheduled commands will log to stderr only (set LOG_DIR=/var/log/pra in \(envFile))")
        }
        if !FileManager.default.fileExists(atPath: envFile) {
            Terminal.warn("\(envFile) does not exist yet: create it (mode 600) from .env.example before installing the schedule")
        }
    }
}
