import Foundation
import PRACore
import PRAHarness

/// The world one scenario runs in: its scratch cluster (a copy of the run's seeded template, or
/// initdb'd and seeded here), the network proxy its `pra` steps go through, the heartbeat
/// workload, and the ``ScenarioContext`` that hands them to the steps. ``tearDown()`` stops
/// whatever ``start()`` started, also after a failed start.
final class ScenarioWorld {
    let scenario: Scenario
    let options: DrillOptions
    let templates: SeededTemplates?
    let scale: Double
    let workDirectory: String
    private var cluster: ScratchCluster?
    private var proxy: NetworkProxy?
    private var context: ScenarioContext?

    init(scenario: Scenario, options: DrillOptions, templates: SeededTemplates?, scale: Double, workDirectory: String) {
        self.scenario = scenario
        self.options = options
        self.templates = templates
        self.scale = scale
        self.workDirectory = workDirectory
    }

    /// Starts the cluster, the proxy and the workload and seeds the fixture; the context the steps run in.
    func start() throws(ScenarioRunner.SetupFailure) -> ScenarioContext {
        // 1 MiB segments: archived in milliseconds, so the archive lag is the switch interval's.
        let walSegmentMegabytes: Int? = scenario.archiveTimeout == nil ? nil : 1
        var template: SeededTemplates.Template?
        var seedingLines: [String] = []
        if let templates {
            do {
                template = try templates.template(for: .init(fixture: scenario.fixture, scale: scale, walSegmentMegabytes: walSegmentMegabytes)) { seedingLines.append($0) }
            } catch {
                throw ScenarioRunner.SetupFailure(message: error.description)
            }
        }
        let cluster: ScratchCluster
        do {
            cluster = try startCluster(template: template, walSegmentMegabytes: walSegmentMegabytes)
        } catch {
            throw ScenarioRunner.SetupFailure(message: "cannot start a scratch cluster: \(error)")
        }
        self.cluster = cluster
        // Every pra step reaches the server through a proxy that network faults degrade.
        let proxy: NetworkProxy
        do {
            proxy = try NetworkProxy(upstream: .unixSocket(path: cluster.socketPath))
        } catch {
            throw ScenarioRunner.SetupFailure(message: "cannot start the network proxy: \(error)")
        }
        self.proxy = proxy
        let context = ScenarioContext(cluster: cluster, database: scenario.fixture, workDirectory: workDirectory, praExecutable: options.praExecutable, scenarioEnvironment: scenario.environment, proxy: proxy, echo: options.echo)
        self.context = context
        for line in seedingLines { context.log(line) }
        context.log("scenario \(scenario.name): cluster on port \(cluster.port) (pra steps through 127.0.0.1:\(proxy.port)), work directory \(workDirectory)")
        do {
            try seed(template: template, context: context)
        } catch {
            throw ScenarioRunner.SetupFailure(message: "cannot seed the scenario: \(error)", log: context.logLines)
        }
        return context
    }

    private func startCluster(template: SeededTemplates.Template?, walSegmentMegabytes: Int?) throws -> ScratchCluster {
        try FileManager.default.createDirectory(atPath: workDirectory + "/backups", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: workDirectory + "/reports", withIntermediateDirectories: true)
        guard let archiveTimeout = scenario.archiveTimeout else {
            return try ScratchCluster(cloning: template?.dataDirectory)
        }
        let backups = workDirectory + "/backups"
        chmod(options.workRoot, 0o755)
        chmod(workDirectory, 0o755)
        return try ScratchCluster(
            settings: ScratchCluster.archivingSettings(praExecutable: options.praExecutable, backupDirectory: backups, archiveTimeout: Int(archiveTimeout)),
            walSegmentMegabytes: walSegmentMegabytes, cloning: template?.dataDirectory, preparing: { try $0.grantServerAccess(to: backups) })
    }

    /// The fixture (a copy of the template's, or loaded now) and the heartbeat workload.
    private func seed(template: SeededTemplates.Template?, context: ScenarioContext) throws {
        if let template {
            let seeded = template.seeded
            context.log("seeded \(seeded.fixture) at scale \(scale): \(seeded.tables) tables, \(seeded.rows) rows, \(ByteCount.format(UInt64(seeded.databaseBytes))) (a copy of the run's template, seeded once in \(DurationParser.format(seeded.seconds)))")
        } else {
            let loaded = try FixtureLoader(name: scenario.fixture, fixturesDirectory: options.fixturesDirectory)
                .load(settings: context.cluster.connectionSettings, database: context.database, scale: scale)
            context.log("seeded \(loaded.fixture) at scale \(scale): \(loaded.tables) tables, \(loaded.rows) rows, \(ByteCount.format(UInt64(loaded.databaseBytes))) in \(DurationParser.format(loaded.seconds))")
        }
        if let rate = scenario.heartbeatRate {
            let heartbeat = HeartbeatWorkload(settings: context.cluster.connectionSettings.with(database: context.database), rate: rate)
            try heartbeat.start()
            context.workload = heartbeat
            context.log("workload: \(rate) heartbeats per second into \(HeartbeatWorkload.table)")
        }
    }

    /// After the last step: stops the workload, runs the context's end actions, logs the proxy's traffic.
    func finishSteps() {
        guard let context else { return }
        context.workload?.stop()
        context.finish()
        if let proxy {
            let forwarded = proxy.forwardedBytes
            context.log("network proxy: \(proxy.connectionCount) connection(s), \(ByteCount.format(forwarded.upstream)) up, \(ByteCount.format(forwarded.downstream)) down" + (proxy.resetCount > 0 ? ", reset \(proxy.resetCount) time(s)" : ""))
        }
    }

    /// Stops the proxy and the cluster (keeping a copy of the server log with `--keep`).
    func tearDown() {
        proxy?.stop()
        if let cluster {
            if options.keep { try? FileManager.default.copyItem(atPath: cluster.logFile, toPath: workDirectory + "/server.log") }
            cluster.teardown()
        }
    }
}
