/// What the step-order validator knows at one step of a scenario: what the steps before it made
/// (backups, base backups, a disaster, marks). Each step kind checks its place against it
/// (``DrillStep/validate(_:order:)``) and adds what it makes.
struct StepOrder {
    let file: String
    let scenario: Scenario
    /// Full backup steps before this one (archive selectors pick among their archives).
    var backups = 0
    var baseBackups = 0
    var disaster = false
    var badTransaction = false
    var marks: Set<String> = []
    /// The step being checked, for messages.
    private(set) var step = Step(action: .status)
    private(set) var key = ""

    init(file: String, scenario: Scenario) {
        self.file = file
        self.scenario = scenario
    }

    /// Moves on to the step at `index` (0-based).
    mutating func begin(_ step: Step, index: Int) {
        self.step = step
        key = "steps[\(index + 1)]"
    }

    /// An error naming the current step and its line.
    func fail(_ message: String) -> ScenarioError {
        ScenarioError(file: file, line: step.line, key: key, message: message)
    }

    /// `selector` picks a full backup that an earlier step made.
    func needBackups(_ selector: ArchiveSelector?, what: String) throws(ScenarioError) {
        guard let selector else { return }
        let needed: Int
        switch selector {
        case .newest, .oldest: needed = 1
        case .previous: needed = 2
        case .index(let value): needed = value + 1
        }
        if backups < needed {
            // Selectors pick logical archives (backup: {} / kind: full); base backups are recovered with restore: {pitr: ...}.
            throw fail("\(what) refers to the \(selector) archive, but only \(backups) full backup step(s) (backup: {}) come before it" + (baseBackups > 0 ? "; base backups are not archives a selector picks (recover them with restore: {pitr: ...})" : ""))
        }
    }

    func needArchiving(_ what: String) throws(ScenarioError) {
        if scenario.archiveTimeout == nil {
            throw fail("\(what) needs continuous archiving: add archiving: {archive_timeout: 1s} to the scenario")
        }
    }

    /// RTO and RPO bounds need a disaster before the step (and RPO a workload).
    func checkMeasurements() throws(ScenarioError) {
        let measures = step.expect.rtoMax != nil || step.expect.rpoMax != nil || step.expect.rpoMin != nil
        if measures && !disaster {
            throw fail("expect.rto_max/rpo_max/rpo_min need a disaster step before this restore (RTO and RPO are measured from the disaster)")
        }
        if (step.expect.rpoMax != nil || step.expect.rpoMin != nil) && scenario.heartbeatRate == nil {
            throw fail("expect.rpo_max/rpo_min need a workload (workload: heartbeats_per_second: N) to measure RPO from data")
        }
    }

    /// A fault injected into the current step: where its kind allows, with what it acts on made earlier.
    func checkInjected(_ injected: TimedFault) throws(ScenarioError) {
        let kind = type(of: injected.fault.implementation)
        if kind.needsArchiving { try needArchiving(injected.fault.kind) }
        let injectable = kind.allowedSteps.filter(\.runsPra)
        guard injectable.contains(step.action.kind) else {
            throw fail("\(injected.fault.kind) can be injected into \(StepKind.listed(injectable, conjunction: "and")) steps only")
        }
        for archive in injected.fault.implementation.archives { try needBackups(archive, what: injected.fault.kind) }
        if case .afterBytes = injected.trigger, !step.action.implementation.countsArchiveBytes {
            throw fail("after_bytes counts the archive a backup writes; use after: DURATION for \(step.action.kind.rawValue) steps")
        }
    }
}
