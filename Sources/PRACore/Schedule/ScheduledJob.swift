/// One recurring `pra` command of the recovery plan, with its cron and systemd schedules.
public struct ScheduledJob: Sendable, Equatable {
    /// Short name: the systemd unit is `pra-<name>.service` / `.timer`.
    public var name: String
    /// What the job is for, in words (cron comment, unit `Description=`).
    public var summary: String
    /// The arguments after `pra`.
    public var arguments: [String]
    /// The five cron fields.
    public var cron: String
    /// The systemd `OnCalendar=` expression for the same times.
    public var onCalendar: String
    /// Directory to run in (the drill reads `scenarios/` there), if any.
    public var workingDirectory: String?

    public init(name: String, summary: String, arguments: [String], cron: String, onCalendar: String, workingDirectory: String? = nil) {
        self.name = name
        self.summary = summary
        self.arguments = arguments
        self.cron = cron
        self.onCalendar = onCalendar
        self.workingDirectory = workingDirectory
    }

    /// The recovery plan's schedule: daily base backup and hourly incremental (WAL made safe)
    /// for point-in-time recovery, a daily logical dump (portable, restorable table by table),
    /// status every five minutes, daily verification, weekly restore test, monthly drill.
    /// - Parameters:
    ///   - envFile: absolute path of the env file every job reads.
    ///   - restoreTestDatabase: the weekly restore test's target (`nil`: `RESTORE_DB`'s default).
    ///   - drillDirectory: where the drill runs (holds `scenarios/`; reports go to `REPORT_DIR`).
    public static func recoveryPlan(envFile: String, restoreTestDatabase: String?, drillDirectory: String) -> [ScheduledJob] {
        let common = ["--quiet", "--env-file", envFile]
        let target = restoreTestDatabase.map { ["--target-db", $0] } ?? []
        return [
            ScheduledJob(name: "backup-incremental", summary: "hourly incremental: WAL switched and archived (RPO 1 hour at worst, archive_timeout in practice)", arguments: ["backup", "--incremental"] + common,
                         cron: "0 * * * *", onCalendar: "*-*-* *:00:00"),
            ScheduledJob(name: "backup-base", summary: "daily base backup for point-in-time recovery", arguments: ["backup", "--base"] + common,
                         cron: "0 1 * * *", onCalendar: "*-*-* 01:00:00"),
            ScheduledJob(name: "backup", summary: "daily logical dump (portable, restorable with stock tools)", arguments: ["backup", "--full"] + common,
                         cron: "30 2 * * *", onCalendar: "*-*-* 02:30:00"),
            ScheduledJob(name: "status", summary: "status every five minutes (alerts on CRITICAL and on recovery)", arguments: ["status"] + common,
                         cron: "*/5 * * * *", onCalendar: "*-*-* *:00/5:00"),
            ScheduledJob(name: "verify", summary: "daily verification of every archive", arguments: ["verify", "--all"] + common,
                         cron: "30 4 * * *", onCalendar: "*-*-* 04:30:00"),
            ScheduledJob(name: "restore-test", summary: "weekly restore test of the newest backup", arguments: ["restore", "--latest"] + target + ["--force"] + common,
                         cron: "0 5 * * 0", onCalendar: "Sun *-*-* 05:00:00"),
            ScheduledJob(name: "drill", summary: "monthly disaster-recovery drill and compliance report", arguments: ["drill", "run", "--report"] + common,
                         cron: "0 3 1 * *", onCalendar: "*-*-01 03:00:00", workingDirectory: drillDirectory),
        ]
    }
}
