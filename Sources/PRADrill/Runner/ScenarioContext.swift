import Foundation
import PRACore
import PRAHarness

/// Everything a step, a fault or a measurement needs to reach the scenario's world: its own
/// scratch cluster, database, backup and report directories, and the `pra` executable.
final class ScenarioContext: @unchecked Sendable {
    let cluster: ScratchCluster
    let database: String
    let workDirectory: String
    let backupDirectory: String
    let reportDirectory: String
    let praExecutable: String
    /// The proxy every `pra` step reaches the server through (network faults degrade it);
    /// `nil` when the steps connect to the server's socket directly.
    let proxy: NetworkProxy?
    private let baseEnvironment: [String: String]
    private var overrides: [String: String] = [:]
    private var endActions: [() -> Void] = []
    private var heldUndos: [(key: String, undo: () -> Void)] = []
    private let lock = NSLock()
    private var lines: [String] = []
    private let started = MonotonicClock.now()
    let echo: (@Sendable (String) -> Void)?
    /// The heartbeat writer, when the scenario has a workload.
    var workload: HeartbeatWorkload?
    /// Moments remembered by `mark` steps.
    var marks: [String: Date] = [:]
    private var directoryCounter = 0
    private var stepRunning = false

    /// True while a step's `pra` child runs (faults acting "during" a step stop looking after it).
    var isStepRunning: Bool {
        get {
            lock.lock()
            defer { lock.unlock() }
            return stepRunning
        }
        set {
            lock.lock()
            stepRunning = newValue
            lock.unlock()
        }
    }

    init(cluster: ScratchCluster, database: String, workDirectory: String, praExecutable: String, scenarioEnvironment: [String: String], proxy: NetworkProxy? = nil, echo: (@Sendable (String) -> Void)?) {
        self.cluster = cluster
        self.proxy = proxy
        self.database = database
        self.workDirectory = workDirectory
        backupDirectory = workDirectory + "/backups"
        reportDirectory = workDirectory + "/reports"
        self.praExecutable = praExecutable
        self.echo = echo
        baseEnvironment = Self.stepEnvironment(inherited: ProcessInfo.processInfo.environment, cluster: cluster.environment,
                                               proxyPort: proxy?.port, database: database, backupDirectory: backupDirectory,
                                               reportDirectory: reportDirectory, scenario: scenarioEnvironment)
    }

    /// The environment every `pra` step starts from, before faults override it: the scenario's
    /// world only, never the operator's `PG*`, `DATABASE_URL` or pra settings.
    static func stepEnvironment(inherited: [String: String], cluster: [String: String], proxyPort: Int?, database: String,
                                backupDirectory: String, reportDirectory: String, scenario: [String: String]) -> [String: String] {
        var environment = inherited.filter { entry in
            !entry.key.hasPrefix("PG") && !Configuration.variables.contains { $0.name == entry.key }
        }
        for (key, value) in cluster { environment[key] = value }
        if let proxyPort {
            environment[Setting.pgHost.name] = "127.0.0.1"
            environment[Setting.pgPort.name] = "\(proxyPort)"
        }
        environment[Setting.pgDatabase.name] = database
        environment[Setting.backupDir.name] = backupDirectory
        environment[Setting.reportDir.name] = reportDirectory
        // A drill's restores and status runs are scratch evidence: kept with the scenario, never
        // in the operator's log (the operator's EVIDENCE_FILE was filtered out above).
        environment[Setting.evidenceFile.name] = reportDirectory + "/evidence.jsonl"
        // The scratch backups sit on the runner's disk, whose free space is the host's business,
        // not the scenario's: with the default 20 % a status step's verdict would follow how full
        // the CI machine's disk happens to be. A scenario about disk space sets its own thresholds.
        environment[Setting.diskWarnPercent.name] = "0"
        environment[Setting.diskCriticalPercent.name] = "0"
        for (key, value) in scenario { environment[key] = value }
        return environment
    }

    /// The environment of a `pra` step: the scenario's, plus what faults set (an unreachable
    /// REMOTE_TARGET, a failing SLACK_WEBHOOK...).
    var environment: [String: String] {
        lock.lock()
        defer { lock.unlock() }
        return baseEnvironment.merging(overrides) { $1 }
    }

    /// Sets (or, with `nil`, removes) a variable for the following `pra` steps.
    func override(_ name: String, _ value: String?) {
        lock.lock()
        overrides[name] = value
        lock.unlock()
    }

    /// Runs `action` when the scenario ends (listeners, mounts made by a fault step).
    func atEnd(_ action: @escaping () -> Void) {
        lock.lock()
        endActions.append(action)
        lock.unlock()
    }

    /// Keeps `undo` for a later step to run with ``undoHeld(_:)`` (a fault that lasts until
    /// another fault step ends it); whatever is still held runs when the scenario ends.
    func holdUntilUndone(_ key: String, undo: @escaping () -> Void) {
        lock.lock()
        heldUndos.append((key, undo))
        lock.unlock()
    }

    /// Runs and forgets the undo actions held under `key`, newest first; false when none was held.
    @discardableResult
    func undoHeld(_ key: String) -> Bool {
        lock.lock()
        let matching = heldUndos.filter { $0.key == key }
        heldUndos.removeAll { $0.key == key }
        lock.unlock()
        for held in matching.reversed() { held.undo() }
        return !matching.isEmpty
    }

    /// Runs what is still held, then the end actions, newest first.
    func finish() {
        lock.lock()
        let actions = heldUndos.map(\.undo).reversed() + endActions.reversed()
        heldUndos.removeAll()
        endActions.removeAll()
        lock.unlock()
        for action in actions { action() }
    }

    /// Adds a line to the scenario's log (JUnit system-out), stamped with the time since start.
    func log(_ line: String) {
        let stamped = String(format: "[%7.2fs] ", started.elapsed()) + line
        lock.lock()
        lines.append(stamped)
        lock.unlock()
        echo?(stamped)
    }

    var logLines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// A new, not yet existing directory in the work directory (`<label>-1`, `<label>-2`, ...),
    /// whose parents the server's OS user can traverse.
    func freshDirectory(_ label: String) -> String {
        lock.lock()
        directoryCounter += 1
        let number = directoryCounter
        lock.unlock()
        chmod(workDirectory, 0o755)
        return (workDirectory as NSString).appendingPathComponent("\(label)-\(number)")
    }

    /// The proxy in front of the server, for network faults.
    func networkProxy() throws -> NetworkProxy {
        guard let proxy else { throw FaultError(description: "the steps do not go through the network proxy") }
        return proxy
    }

    /// A connection to the cluster's maintenance database.
    func adminConnection() throws -> PostgresConnection {
        try PostgresConnection(cluster.connectionSettings, applicationName: "pra-drill")
    }

    /// Complete base backups in the scenario's backup directory, newest first.
    var completeBaseBackups: [BaseBackupCatalogue.Entry] {
        BaseBackupCatalogue(directory: backupDirectory).complete
    }

    /// Complete backups in the scenario's backup directory, newest first.
    var completeBackups: [BackupCatalogue.Entry] {
        BackupCatalogue(directory: backupDirectory).complete
    }
}
