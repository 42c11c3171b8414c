import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// The off-site WAL copy stalls while the primary keeps archiving: the server's
/// `archive_command` copies WAL off-site asynchronously (`WAL_REMOTE_MODE=async`, to the
/// scenario's `REMOTE_TARGET`), and the store it reaches is unreachable for `duration`.
/// Undone: the store is reachable again, and the revert waits (up to 60 s) until the copier
/// has caught up.
struct OffSiteCopyStalledFault: FaultKind {
    static let name = "offsite-copy-stalled"
    static let summary = "Makes the server's archive_command copy WAL off-site asynchronously (WAL_REMOTE_MODE=async, to the scenario's REMOTE_TARGET, normally from s3-target; it stays so for the rest of the scenario) and points the copier at a closed port on 127.0.0.1: every copy fails while the primary goes on archiving locally. Writes and switches WAL for `duration`, checking each segment is archived locally. Undone: the copier reaches the store again and the revert waits up to 60 s until every archived file is off-site."
    static let parameters = [FaultParameter("duration", .duration, default: "3s", summary: "how long WAL is written and archived locally while the off-site copy is stalled")]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep
    static let needsArchiving = true

    let duration: Double

    init(duration: Double = 3) {
        self.duration = duration
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        duration = try parameters.duration("duration")
    }

    var description: String { "\(Self.name) (\(DurationParser.format(duration)))" }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        guard let target = context.environment[Setting.remoteTarget.name], target.hasPrefix("s3://") else {
            throw FaultError(description: "offsite-copy-stalled needs an s3:// REMOTE_TARGET: put an s3-target fault step before it")
        }
        let endpoint = "http://127.0.0.1:\(LoopbackResponder.closedPort())"
        try DrillArchiveCommand.route(context, mode: "async", endpoint: endpoint)
        let connection = try PostgresConnection(context.cluster.connectionSettings, applicationName: "pra-drill")
        let archive = WALArchive(backupDirectory: context.backupDirectory)
        let clock = MonotonicClock.now()
        var archived = 0
        repeat {
            try connection.execute("CREATE TABLE IF NOT EXISTS pra_drill_wal_probe (at timestamptz)")
            try connection.execute("INSERT INTO pra_drill_wal_probe VALUES (now())")
            let name = try connection.scalar("SELECT pg_walfile_name(pg_switch_wal())").flatMap(WALFileName.init)
            let deadline = MonotonicClock.now()
            while let name, deadline.elapsed() < 30, ((try? archive.find(name)) ?? nil) == nil { usleep(100_000) }
            guard let name, ((try? archive.find(name)) ?? nil) != nil else {
                throw FaultError(description: "the primary did not archive locally while the off-site copy was stalled (the push must not wait for the store): \(context.cluster.logTail())")
            }
            archived += 1
            usleep(500_000)
        } while clock.elapsed() < duration
        return "archive_command copies off-site asynchronously; the copier's store is \(endpoint) (nothing listens there); \(archived) segment(s) archived locally meanwhile"
    }

    func revert(_ context: ScenarioContext) {
        try? DrillArchiveCommand.writeEnvFile(context, mode: "async", endpoint: nil)
        // A push starts the copier, which takes everything pending off-site.
        guard let connection = try? PostgresConnection(context.cluster.connectionSettings, applicationName: "pra-drill"),
              let configuration = try? Configuration(envFile: "/dev/null", environment: context.environment),
              let remote = try? RemoteWALArchive(configuration: configuration) else { return }
        let archive = WALArchive(backupDirectory: context.backupDirectory)
        let clock = MonotonicClock.now()
        while clock.elapsed() < 60 {
            _ = try? connection.execute("INSERT INTO pra_drill_wal_probe VALUES (now())")
            _ = try? connection.execute("SELECT pg_switch_wal()")
            sleep(2)
            guard let names = try? remote.listing().map(\.name) else { continue }
            if WALSyncQueue(local: archive.files(), offSite: Set(names)).pending.isEmpty { return }
        }
    }
}
