import ArgumentParser

struct Drill: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove the recovery plan: run failure scenarios on scratch PostgreSQL and measure RTO/RPO.",
        discussion: """
            Scenarios are YAML files (scenarios/*.yaml, format in docs/scenarios.md). Each runs on its \
            own scratch cluster seeded with its fixture; the backup/restore/status steps run this pra \
            executable as a child, exactly as cron would.

            Exit codes: drill run: 0 every scenario passed, 1 a scenario failed, 2 invalid scenario \
            or usage; list and validate: 0 fine, 2 no scenario found or a file invalid.

            Examples:
              pra drill list
              pra drill run --only baseline-drop-database
              pra drill new my-scenario
            """,
        subcommands: [DrillRun.self, DrillValidate.self, DrillList.self, DrillNew.self, DrillFaults.self])
}
