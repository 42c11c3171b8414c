import ArgumentParser
import PRACore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the database, the newest backup against RPO_TARGET, health and free space.",
        discussion: """
            Each check is OK, WARNING or CRITICAL. Exit 0 when all are OK, 1 when any is CRITICAL, \
            2 when the worst is a WARNING (the seed plan's status.sh convention).

            Checks: database reachable (latency), CRITICAL_TABLES present, database size, age of the \
            newest complete backup against RPO_TARGET, whether its last verification failed, \
            APP_HEALTH_URL answering 2xx, free space in BACKUP_DIR against DISK_WARN_PERCENT and \
            DISK_CRITICAL_PERCENT.

            Example (cron, every five minutes):  */5 * * * *  pra status --quiet --env-file /etc/pra/.env
            """)

    @Flag(name: .long, help: "Print the report as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration()
        let report: StatusReport
        do {
            report = try StatusOperation(configuration: configuration).run()
        } catch {
            throw Terminal.fail(error)
        }
        Terminal.output(json ? JSONCoding.document(report) : report.text)
        if report.level != .ok {
            throw Terminal.fail(report.headline, exitCode: report.level.exitCode)
        }
    }
}
