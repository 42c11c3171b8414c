/// Rejects step orders that cannot work: using an archive before any backup made it,
/// measuring RTO/RPO without a disaster (or RPO without a workload), injecting a fault
/// where it cannot act.
struct StepOrderValidator {
    let file: String

    func validate(_ scenario: Scenario) throws(ScenarioError) {
        var backups = 0
        var baseBackups = 0
        var disaster = false
        var badTransaction = false
        var marks: Set<String> = []
        for (index, step) in scenario.steps.enumerated() {
            let key = "steps[\(index + 1)]"
            func fail(_ message: String) -> ScenarioError {
                ScenarioError(file: file, line: step.line, key: key, message: message)
            }
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
            func checkMeasurements() throws(ScenarioError) {
                let measures = step.expect.rtoMax != nil || step.expect.rpoMax != nil || step.expect.rpoMin != nil
                if measures && !disaster {
                    throw fail("expect.rto_max/rpo_max/rpo_min need a disaster step before this restore (RTO and RPO are measured from the disaster)")
                }
                if (step.expect.rpoMax != nil || step.expect.rpoMin != nil) && scenario.heartbeatRate == nil {
                    throw fail("expect.rpo_max/rpo_min need a workload (workload: heartbeats_per_second: N) to measure RPO from data")
                }
            }
            switch step.action {
            case .backup:
                break
            case .baseBackup:
                try needArchiving("backup kind base")
                baseBackups += 1
            case .incrementalBackup:
                try needArchiving("backup kind incremental")
                if baseBackups == 0 { throw fail("backup kind incremental makes WAL safe after a base backup: put a backup: {kind: base} step before it") }
            case .pointInTimeRestore(let target):
                try needArchiving("restore pitr")
                if baseBackups == 0 { throw fail("restore pitr needs a backup: {kind: base} step before it") }
                switch target.anchor {
                case .latest: break
                case .disaster:
                    if !disaster { throw fail("pitr: disaster needs a disaster step before this restore") }
                case .mark(let name):
                    if !marks.contains(name) {
                        throw fail("pitr: \(name) names no earlier mark step" + (marks.isEmpty ? "" : " (marks so far: \(marks.sorted().joined(separator: ", ")))"))
                    }
                }
                if step.expect.rowsBack != nil && !badTransaction {
                    throw fail("expect.rows_back needs a bad-transaction disaster before this restore")
                }
                try checkMeasurements()
            case .mark(let name):
                guard marks.insert(name).inserted else { throw fail("mark \(name) is already defined by an earlier step") }
            case .verify(let archive):
                if let archive {
                    try needBackups(archive, what: "verify")
                } else if backups + baseBackups == 0 {
                    throw fail("verify refers to the archives, but no backup step comes before it")
                }
            case .restore(let archive, _, _):
                try needBackups(archive ?? .newest, what: "restore")
                try needBackups(step.expect.usedBackup, what: "expect.used_backup")
                try checkMeasurements()
            case .fault(let fault):
                let kind = type(of: fault.implementation)
                if kind.needsArchiving { try needArchiving(fault.kind) }
                guard kind.allowedSteps.contains(.fault) else {
                    throw fail("\(fault.kind) acts on a running step: inject it into a \(StepKind.listed(kind.allowedSteps, conjunction: "or")) step")
                }
                for archive in fault.implementation.archives { try needBackups(archive, what: fault.kind) }
            case .disaster(let kind, _):
                if backups + baseBackups == 0 {
                    throw fail("a disaster before any backup step leaves nothing to recover from")
                }
                if kind == .badTransaction { badTransaction = true }
                disaster = true
            case .status, .wait:
                break
            }
            if let injected = step.fault {
                let kind = type(of: injected.fault.implementation)
                if kind.needsArchiving { try needArchiving(injected.fault.kind) }
                let injectable = kind.allowedSteps.filter(\.runsPra)
                guard injectable.contains(step.action.kind) else {
                    throw fail("\(injected.fault.kind) can be injected into \(StepKind.listed(injectable, conjunction: "and")) steps only")
                }
                for archive in injected.fault.implementation.archives { try needBackups(archive, what: injected.fault.kind) }
                if case .afterBytes = injected.trigger, step.action != .backup {
                    throw fail("after_bytes counts the archive a backup writes; use after: DURATION for \(step.action.kind.rawValue) steps")
                }
            }
            // Counted after the step's own checks: a fault injected into a backup cannot use its archive.
            if step.action == .backup { backups += 1 }
        }
    }
}
