import Foundation
import PRACore
import PRADrillResults

extension StepKind {
    /// `activate:` — `pra activate`, the emergency plan, with a switch hook that flips the
    /// scenario's load-balancer stand-in.
    public static let activate = StepKind("activate")
}

/// `activate: {target_db, hooks, standby, accept_data_loss}`: runs `pra activate --yes` (the newest dump into `target_db`,
/// default the scenario's database: the live name) with a hooks file whose hook flips a
/// loopback load-balancer stand-in (``ActivateLoadBalancer``) that `APP_HEALTH_URL` reads: it
/// answers 503 until switched, 200 after. So a drill's RTO covers preparation, restore, switch
/// and verification. `hooks: failing` puts a failing hook before the switch: the activation
/// must stop there with the load balancer untouched. The activation state is the scenario's
/// (one file in its work directory), so a later `activate:` step continues where an earlier one
/// stopped, as an operator re-running `pra activate` after fixing a hook would. After a
/// disaster a successful activation measures RTO and RPO like a restore. `standby: true`
/// promotes the scenario's warm standby (`pra activate --standby`) instead of restoring;
/// `accept_data_loss: true` adds `--accept-data-loss` (a standby stopped at a gap).
struct ActivateStep: PraStep {
    /// Which hooks the activation runs.
    enum Hooks: String, Sendable, Equatable {
        /// One hook: flip the load balancer.
        case `switch`
        /// A failing hook (`/bin/false`), then the flip (never reached).
        case failing
    }

    static let kind = StepKind.activate
    var targetDatabase: String?
    var hooks: Hooks
    /// Promote the scenario's warm standby (a `standby: {}` step before) instead of restoring.
    var standby = false
    /// With `standby`: `--accept-data-loss`, a standby stopped at a gap in the archive is promoted anyway.
    var acceptDataLoss = false

    static func read(_ options: StepOptions) throws(ScenarioError) -> ActivateStep {
        let reader = options.reader
        let map = try options.mapping(allowed: ["target_db", "hooks", "standby", "accept_data_loss"])
        let target = try map.node("target_db").map { (node) throws(ScenarioError) in try reader.string(node, key: options.path("target_db")) }
        var hooks = Hooks.switch
        if let node = map.node("hooks") {
            let text = try reader.string(node, key: options.path("hooks"))
            guard let parsed = Hooks(rawValue: text) else { throw options.error(node, option: "hooks", "must be switch or failing") }
            hooks = parsed
        }
        let standby = try map.node("standby").map { (node) throws(ScenarioError) in try reader.bool(node, key: options.path("standby")) } ?? false
        if standby && target != nil { throw options.error(map.node("target_db"), option: "target_db", "a promoted standby keeps its databases: target_db is for restores") }
        let acceptDataLoss = try map.node("accept_data_loss").map { (node) throws(ScenarioError) in try reader.bool(node, key: options.path("accept_data_loss")) } ?? false
        if acceptDataLoss && !standby { throw options.error(map.node("accept_data_loss"), option: "accept_data_loss", "is for standby: true: a restore cannot pass a gap in the archive") }
        return ActivateStep(targetDatabase: target, hooks: hooks, standby: standby, acceptDataLoss: acceptDataLoss)
    }

    var description: String { "activate" + (standby ? " by promoting the standby" : "") + (acceptDataLoss ? " accepting data loss" : "") + (targetDatabase.map { " into \($0)" } ?? "") + (hooks == .failing ? " with a failing switch hook" : "") }

    var ownExpectations: [String] { ["rto_max", "rpo_max", "rpo_min"] }

    /// A standby replays the archive to its end: what continuous archiving keeps.
    var recoveryMethod: RecoveryMethod? { standby ? .pointInTimeLatest : .backup }

    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError) {
        if standby {
            try order.needArchiving("activate: {standby: true}")
            if order.baseBackups == 0 { throw order.fail("activate: {standby: true} needs a base backup and a standby: {} step before it") }
        } else {
            try order.needBackups(.newest, what: "activate")
        }
        try order.checkMeasurements()
    }

    /// Where the step's stand-in keeps its switch: a file the hook creates.
    static func switchFile(_ context: ScenarioContext, step: Int) -> String {
        (context.workDirectory as NSString).appendingPathComponent("activate-\(step)-switched")
    }

    func arguments(_ run: StepRun, before: BackupSnapshot) throws(StepNotRun) -> [String] {
        let context = run.context
        let flag = Self.switchFile(context, step: run.step.line)
        let hooksFile = (context.workDirectory as NSString).appendingPathComponent("activate-\(run.step.line)-hooks.json")
        let balancer: ActivateLoadBalancer
        do {
            balancer = try ActivateLoadBalancer(switchFile: flag)
            var commands: [[String]] = []
            if hooks == .failing { commands.append(["/bin/false"]) }
            commands.append(["/usr/bin/touch", flag])
            let entries = commands.enumerated().map { index, command in ["name": command[0] == "/bin/false" ? "failing hook" : "load balancer", "command": command, "timeout": "30s"] as [String: Any] }
            try DurableFile.write(try JSONSerialization.data(withJSONObject: ["hooks": entries]), to: hooksFile, permissions: 0o644)
        } catch {
            throw StepNotRun(check: run.failure("load balancer stand-in", expected: "a loopback listener and a hooks file", actual: "\(error)", message: "expected the load-balancer stand-in to start, got: \(error)"))
        }
        context.atEnd { balancer.stop() }
        // The activation's own files stay with the scenario; the health URL reads the stand-in.
        context.override(Setting.activationHooksFile.name, hooksFile)
        // One state per scenario: a later activate: step continues an activation an earlier one left (a failed hook fixed).
        context.override(Setting.activationStateFile.name, (context.workDirectory as NSString).appendingPathComponent("activation-state.json"))
        context.override(Setting.appHealthURL.name, balancer.url)
        if standby { return ["activate", "--yes", "--standby", StandbyStep.directory(context)] + (acceptDataLoss ? ["--accept-data-loss"] : []) }
        return ["activate", "--yes"] + (targetDatabase.map { ["--target-db", $0] } ?? [])
    }

    /// The verdict, where it stopped, each phase against its budget, the checks, and whether
    /// the load balancer was switched.
    func messages(of child: PraChild.Result) -> [String] {
        guard let state = child.document(ActivationState.self) else { return [] }
        let report = ActivationReport(state: state)
        return [report.verdict, "stage reached: \(state.standing)"]
            + state.verdicts.map(\.line)
            + state.timeline.filter { $0.text.hasPrefix("resumed") }.map(\.text)
            + state.hooks.map { "hook \($0.name): \($0.succeeded ? "succeeded" : "failed: \($0.failure ?? "?")")" }
            + state.checks.map { "\($0.passed ? "✓" : "✗") \($0.name): \($0.message)" }
    }

    /// The load balancer stand-in's state after the step: switched only by a complete switch.
    func judge(_ run: StepRun, child: PraChild.Result, before: BackupSnapshot) -> [CheckResult] {
        let switched = FileManager.default.fileExists(atPath: Self.switchFile(run.context, step: run.step.line))
        let wanted = hooks == .switch && child.exitCode == 0
        return [run.check("load balancer", switched == wanted, expected: wanted ? "switched" : "not switched (nothing half-switched)", actual: switched ? "switched" : "not switched", seconds: child.seconds)]
    }

    /// After a disaster, a successful activation measures RTO (disaster to verified behind the
    /// switch) and RPO, its phases (each named with the plan's budget) as the RTO's phases.
    func conclude(_ run: StepRun, child: PraChild.Result, stepSeconds: Double) -> (checks: [CheckResult], measured: RecoveryMeasurement?) {
        var measured: RecoveryMeasurement?
        if child.exitCode == 0, let disasterClock = run.state.disasterClock, let state = child.document(ActivationState.self) {
            var restore = RestoreResult(targetDatabase: state.server?.database ?? state.target, startedAt: state.startedAt)
            // A resumed activation's phases add up its runs, an earlier step's included: only a
            // single run's phases divide this step's time without counting anything twice.
            if state.runs == 1 { restore.phases = state.verdicts.map(RestoreResult.Phase.activation) }
            // A promoted standby is its own server: RPO is read there.
            var recovered: ConnectionSettings?
            if standby, let server = state.server {
                var parameters = run.context.cluster.connectionSettings.libpqParameters
                parameters["host"] = server.host
                parameters["port"] = server.port.map(String.init)
                recovered = ConnectionSettings(parameters: parameters)
            }
            measured = run.measureRecovery(restore: restore, disasterClock: disasterClock, stepSeconds: stepSeconds, restoredAt: recovered)
        }
        return (run.judgeMeasurement(measured), measured)
    }
}

extension StepAction {
    /// `activate: {target_db, hooks}`.
    static func activate(targetDatabase: String? = nil, hooks: ActivateStep.Hooks = .switch, standby: Bool = false, acceptDataLoss: Bool = false) -> StepAction {
        StepAction(ActivateStep(targetDatabase: targetDatabase, hooks: hooks, standby: standby, acceptDataLoss: acceptDataLoss))
    }
}
