import Foundation
import PRACore
import PRADrillResults

extension StepKind {
    /// `standby:` — `pra standby create`, or `pra standby status` on the scenario's standby.
    public static let standby = StepKind("standby")
}

/// `standby: {action: create | status, from_remote}`: `create` (the default) builds the
/// scenario's warm standby (`pra standby create`, in the scenario's work directory; one per
/// scenario) from the newest base backup — off-site only with `from_remote: true` — and leaves
/// it replaying the archive until the scenario ends; `status` runs `pra standby status` on it,
/// and `expect: {status: OK | WARNING | CRITICAL}` judges its level (WARNING: replay lag over
/// RPO_TARGET; CRITICAL: not promotable).
struct StandbyStep: PraStep {
    enum Action: String, Sendable, Equatable {
        case create, status
    }

    static let kind = StepKind.standby
    var action: Action
    var fromRemote: Bool

    static func read(_ options: StepOptions) throws(ScenarioError) -> StandbyStep {
        let reader = options.reader
        let map = try options.mapping(allowed: ["action", "from_remote"])
        var action = Action.create
        if let node = map.node("action") {
            let text = try reader.string(node, key: options.path("action"))
            guard let parsed = Action(rawValue: text) else { throw options.error(node, option: "action", "must be create or status") }
            action = parsed
        }
        let fromRemote = try map.node("from_remote").map { (node) throws(ScenarioError) in try reader.bool(node, key: options.path("from_remote")) } ?? false
        if fromRemote && action != .create { throw options.error(map.node("from_remote"), option: "from_remote", "only create picks a base backup") }
        return StandbyStep(action: action, fromRemote: fromRemote)
    }

    var description: String { "standby " + action.rawValue + (fromRemote ? " from the off-site copy" : "") }

    var ownExpectations: [String] { action == .status ? ["status"] : [] }

    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError) {
        guard action == .create else { return }
        try order.needArchiving("standby")
        if order.baseBackups == 0 { throw order.fail("standby needs a base backup: a backup: {kind: base} step before it") }
    }

    /// The scenario's standby: one directory in its work directory.
    static func directory(_ context: ScenarioContext) -> String {
        (context.workDirectory as NSString).appendingPathComponent("standby")
    }

    func arguments(_ run: StepRun, before: BackupSnapshot) throws(StepNotRun) -> [String] {
        let directory = Self.directory(run.context)
        switch action {
        case .create:
            // The server's account must reach the standby's directory through the work directory.
            chmod(run.context.workDirectory, 0o755)
            return ["standby", "create", "--target-dir", directory] + (fromRemote ? ["--from-remote"] : [])
        case .status:
            return ["standby", "status", "--target-dir", directory]
        }
    }

    func messages(of child: PraChild.Result) -> [String] {
        switch action {
        case .create:
            guard let result = child.document(StandbyCreation.Result.self) else { return [] }
            return ["standby running in \(result.standby.dataDirectory) on port \(result.standby.port), base backup \(result.standby.baseBackupSource)"]
        case .status:
            guard let state = child.document(StandbyState.self) else { return [] }
            return state.text.split(separator: "\n").map(String.init)
        }
    }

    /// `status: OK | WARNING | CRITICAL` for `action: status`.
    func judge(_ run: StepRun, child: PraChild.Result, before: BackupSnapshot) -> [CheckResult] {
        guard action == .status, let level = run.step.expect.statusLevel else { return [] }
        let state = child.document(StandbyState.self)
        let actual = state.map { $0.level.rawValue + ($0.reason.map { " (\($0))" } ?? "") } ?? "no standby state (exit \(child.exitCode))"
        return [run.check("standby status", state?.level.rawValue == level, expected: level, actual: actual, seconds: child.seconds)]
    }

    /// A created standby is stopped when the scenario ends (or is interrupted).
    func conclude(_ run: StepRun, child: PraChild.Result, stepSeconds: Double) -> (checks: [CheckResult], measured: RecoveryMeasurement?) {
        guard action == .create else { return ([], nil) }
        let directory = Self.directory(run.context)
        run.context.atEnd { ServerControl.shutdown(dataDirectory: directory) }
        let token = InterruptCleanup.shared.register { ServerControl.shutdown(dataDirectory: directory, grace: 5) }
        run.context.atEnd { InterruptCleanup.shared.unregister(token) }
        return ([], nil)
    }
}

extension StepAction {
    /// `standby: {action: ...}`.
    static func standby(_ action: StandbyStep.Action = .create, fromRemote: Bool = false) -> StepAction {
        StepAction(StandbyStep(action: action, fromRemote: fromRemote))
    }
}
