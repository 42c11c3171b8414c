import PRACore
import PRADrillResults

extension StepKind {
    /// `status:` — `pra status`.
    public static let status = StepKind("status")
}

/// `status: {}`: runs `pra status` (exit 0 OK, 1 CRITICAL, 2 WARNING).
struct StatusStep: PraStep {
    static let kind = StepKind.status

    static func read(_ options: StepOptions) throws(ScenarioError) -> StatusStep {
        _ = try options.mapping(allowed: [])
        return StatusStep()
    }

    var description: String { "status" }

    var ownExpectations: [String] { ["status"] }

    func arguments(_ run: StepRun, before: BackupSnapshot) throws(StepNotRun) -> [String] {
        ["status"]
    }

    /// The text report, line by line.
    func messages(of child: PraChild.Result) -> [String] {
        guard let report = child.document(StatusReport.self) else { return [] }
        return report.text.split(separator: "\n").map(String.init)
    }

    /// `status: OK | WARNING | CRITICAL`: the report's level.
    func judge(_ run: StepRun, child: PraChild.Result, before: BackupSnapshot) -> [CheckResult] {
        guard let level = run.step.expect.statusLevel else { return [] }
        let actual = child.document(StatusReport.self)?.level.rawValue ?? "no status (exit \(child.exitCode))"
        return [run.check("status level", actual == level, expected: level, actual: actual, seconds: child.seconds)]
    }
}

extension StepAction {
    /// `status: {}`: `pra status`.
    static let status = StepAction(StatusStep())
}
