import ArgumentParser

struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the recovery plan's schedule as cron lines or systemd units.",
        subcommands: [SchedulePrint.self])
}
