import Foundation
import PRACore
import PRADrillResults
import Yams

extension StepKind {
    /// `restore:` — `pra restore`, logical or point in time.
    public static let restore = StepKind("restore")
}

/// `restore: {archive, target_db, force}`: runs `pra restore --latest` or `--file <archive>`
/// into a database of the scenario's server; `restore: {pitr, offset}`: `pra restore --pitr`
/// into a new data directory, to a point in time (see RestoreStep+PointInTime.swift). After a
/// disaster, each successful restore measures its own RTO and RPO.
struct RestoreStep: PraStep {
    enum Mode: Sendable, Equatable {
        /// `pra restore --latest` (`archive` nil) or `--file`, with `--target-db`, `--force`.
        case logical(archive: ArchiveSelector?, targetDatabase: String?, force: Bool)
        /// `pra restore --pitr` to a point in time.
        case pointInTime(PointInTimeTarget)
    }

    static let kind = StepKind.restore
    var mode: Mode

    static func read(_ options: StepOptions) throws(ScenarioError) -> RestoreStep {
        let map = try options.mapping(allowed: ["archive", "target_db", "force", "pitr", "offset"])
        if let pitr = map.node("pitr") {
            return RestoreStep(mode: .pointInTime(try readPointInTime(pitr, map: map, options: options)))
        }
        if let node = map.node("offset") { throw options.error(node, option: "offset", "offset needs pitr") }
        let reader = options.reader
        var selector: ArchiveSelector?
        if let archive = map.node("archive"), archive.string != "latest" {
            selector = try reader.archive(archive, key: options.path("archive"))
        }
        let target = try map.node("target_db").map { (node) throws(ScenarioError) in try reader.string(node, key: options.path("target_db")) }
        let force = try map.node("force").map { (node) throws(ScenarioError) in try reader.bool(node, key: options.path("force")) } ?? false
        return RestoreStep(mode: .logical(archive: selector, targetDatabase: target, force: force))
    }

    var description: String {
        switch mode {
        case .logical(let archive, let target, let force):
            return "restore " + (archive.map { "the \($0) archive" } ?? "the latest backup") + (target.map { " into \($0)" } ?? "") + (force ? " (force)" : "")
        case .pointInTime(let target):
            return "point-in-time restore to \(target)"
        }
    }

    var ownExpectations: [String] {
        switch mode {
        case .logical: return ["rows_match_manifest", "used_backup", "rto_max", "rpo_max", "rpo_min", "earlier_backups"]
        case .pointInTime: return ["rows_back", "copy_in_archive", "rto_max", "rpo_max", "rpo_min"]
        }
    }

    var recoveryMethod: RecoveryMethod? {
        switch mode {
        case .logical: return .backup
        case .pointInTime(let target): return target.anchor == .latest ? .pointInTimeLatest : .pointInTimeMoment
        }
    }

    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError) {
        switch mode {
        case .logical(let archive, _, _):
            try order.needBackups(archive ?? .newest, what: "restore")
            try order.needBackups(step.expect.usedBackup, what: "expect.used_backup")
        case .pointInTime(let target):
            try validatePointInTime(target, step: step, order: order)
        }
        try order.checkMeasurements()
    }

    func arguments(_ run: StepRun, before: BackupSnapshot) throws(StepNotRun) -> [String] {
        switch mode {
        case .logical(let archive, let target, let force):
            var arguments: [String]
            if let archive {
                guard let entry = archive.pick(before.complete) else {
                    throw StepNotRun(check: run.failure("archive exists", expected: "a \(archive) archive", actual: "none", message: "expected a \(archive) complete backup to restore, got none"))
                }
                arguments = ["restore", "--file", entry.archivePath]
            } else {
                arguments = ["restore", "--latest"]
            }
            if let target { arguments += ["--target-db", target] }
            if force { arguments.append("--force") }
            return arguments
        case .pointInTime(let target):
            return pointInTimeArguments(target, run: run)
        }
    }

    /// The summary, `✓`/`✗ <check>: <message>` per check, `fallback: ...` per skipped backup,
    /// `no valid local backup: restoring the remote copy ...`.
    func messages(of child: PraChild.Result) -> [String] {
        guard let result = child.document(RestoreResult.self) else { return [] }
        return [result.summary]
            + result.checks.map { "\($0.passed ? "✓" : "✗") \($0.name): \($0.message)" }
            + result.skippedBackups.map { "fallback: \($0)" }
            + result.fetchedFromRemote.map { "no valid local backup: restoring the remote copy \($0)" }
    }

    /// `rows_match_manifest` and `used_backup` (logical restores).
    func judge(_ run: StepRun, child: PraChild.Result, before: BackupSnapshot) -> [CheckResult] {
        let expect = run.step.expect
        var checks: [CheckResult] = []
        if let wanted = expect.rowsMatchManifest {
            let integrity = child.document(RestoreResult.self)?.checks.first { $0.kind == .integrity }
            let actual = integrity?.message ?? "no integrity check (no manifest, or the restore failed)"
            checks.append(run.check("rows match manifest", (integrity?.passed ?? false) == wanted, expected: wanted ? "row counts equal to the manifest" : "row counts differing from the manifest", actual: actual, seconds: child.seconds))
        }
        if let selector = expect.usedBackup {
            let expectedArchive = selector.pick(before.complete)?.archivePath
            let used = child.document(RestoreResult.self)?.archive
            checks.append(run.check("used backup", expectedArchive != nil && used == expectedArchive,
                                    expected: "the \(selector) backup (\(expectedArchive.map { ($0 as NSString).lastPathComponent } ?? "none"))",
                                    actual: used.map { ($0 as NSString).lastPathComponent } ?? "none", seconds: child.seconds))
        }
        return checks
    }

    /// After a disaster, a successful restore measures its own RTO and RPO; its bounds judge them.
    func conclude(_ run: StepRun, child: PraChild.Result, stepSeconds: Double) -> (checks: [CheckResult], measured: RecoveryMeasurement?) {
        switch mode {
        case .logical:
            var measured: RecoveryMeasurement?
            if child.exitCode == 0, let disasterClock = run.state.disasterClock {
                measured = run.measureRecovery(restore: child.document(RestoreResult.self), disasterClock: disasterClock, stepSeconds: stepSeconds)
            }
            return (run.judgeMeasurement(measured), measured)
        case .pointInTime(let target):
            return concludePointInTime(target, run: run, child: child, stepSeconds: stepSeconds)
        }
    }
}

extension StepAction {
    /// `restore: {archive, target_db, force}`; `archive` nil: `pra restore --latest`.
    static func restore(archive: ArchiveSelector?, targetDatabase: String?, force: Bool) -> StepAction {
        StepAction(RestoreStep(mode: .logical(archive: archive, targetDatabase: targetDatabase, force: force)))
    }

    /// `restore: {pitr: ..., offset: ...}`: `pra restore --pitr` to that moment.
    static func pointInTimeRestore(_ target: PointInTimeTarget) -> StepAction {
        StepAction(RestoreStep(mode: .pointInTime(target)))
    }
}
