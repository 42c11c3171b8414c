import ArgumentParser

struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the recovery plan's schedule as cron lines or systemd units.",
        discussion: """
            Exit codes: 0 printed, 2 usage error.

            Example:
              pra schedule print --cron --env-file /etc/pra/.env | crontab -u pra -
            """,
        subcommands: [SchedulePrint.self])
}
