import Foundation
import PRACore
import PRADrillResults

extension StepKind {
    /// `backup:` — `pra backup --full`, `--base` or `--incremental`.
    public static let backup = StepKind("backup")
}

/// `backup: {kind: full | base | incremental}` (default `full`): runs `pra backup --full`,
/// `--base` or `--incremental`. A full backup counts for the archive selectors; base and
/// incremental backups need continuous archiving, and an incremental one a base backup before it.
struct BackupStep: PraStep {
    enum Mode: String, Sendable, CaseIterable {
        case full, base, incremental
    }

    static let kind = StepKind.backup
    var mode: Mode

    static func read(_ options: StepOptions) throws(ScenarioError) -> BackupStep {
        let map = try options.mapping(allowed: ["kind"])
        guard let kindNode = map.node("kind") else { return BackupStep(mode: .full) }
        let text = try options.reader.string(kindNode, key: options.path("kind"))
        guard let mode = Mode(rawValue: text) else {
            throw options.error(kindNode, option: "kind", "unknown backup kind \"\(text)\" (known: \(Mode.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return BackupStep(mode: mode)
    }

    var description: String {
        switch mode {
        case .full: return "backup"
        case .base: return "base backup"
        case .incremental: return "incremental backup"
        }
    }

    var ownExpectations: [String] {
        switch mode {
        case .full: return ["archive", "earlier_backups"]
        case .base: return ["archive"]
        // An incremental backup writes no archive.
        case .incremental: return []
        }
    }

    var countsArchiveBytes: Bool { mode == .full }

    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError) {
        switch mode {
        case .full:
            break
        case .base:
            try order.needArchiving("backup kind base")
            order.baseBackups += 1
        case .incremental:
            try order.needArchiving("backup kind incremental")
            if order.baseBackups == 0 { throw order.fail("backup kind incremental makes WAL safe after a base backup: put a backup: {kind: base} step before it") }
        }
    }

    func counted(in order: inout StepOrder) {
        if mode == .full { order.backups += 1 }
    }

    func arguments(_ run: StepRun, before: BackupSnapshot) throws(StepNotRun) -> [String] {
        ["backup", "--\(mode.rawValue)"]
    }

    /// Full: the summary, `remote copy verified: ...` of its off-site copy (or the copy's
    /// error), `retention deleted: ...`, its warnings; base and incremental: summary and warnings.
    func messages(of child: PraChild.Result) -> [String] {
        switch mode {
        case .full:
            guard let result = child.document(BackupResult.self) else { return [] }
            var lines = [result.summary]
            if let copy = result.remoteCopy { lines.append(copy.summary) }
            if let error = result.remoteCopyError { lines.append("remote copy failed: \(error)") }
            if !result.deletedByRetention.isEmpty { lines.append("retention deleted: \(result.deletedByRetention.joined(separator: ", "))") }
            return lines + result.warnings
        case .base:
            guard let result = child.document(BaseBackupResult.self) else { return [] }
            return [result.summary] + result.warnings
        case .incremental:
            guard let result = child.document(IncrementalBackupResult.self) else { return [] }
            return [result.summary] + result.warnings
        }
    }

    /// `archive: complete | absent`: what the step left in the backup directory.
    func judge(_ run: StepRun, child: PraChild.Result, before: BackupSnapshot) -> [CheckResult] {
        guard let state = run.step.expect.archive else { return [] }
        let directory = mode == .base ? before.baseDirectory : run.context.backupDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let partial = names.filter { $0.hasSuffix(".partial") }
        let newArchives: [String]
        let newComplete: Int
        let what: (one: String, none: String)
        switch mode {
        case .base:
            newArchives = names.filter { BackupArchiveName(fileName: $0, kind: .base) != nil && !before.baseFiles.contains($0) }
            newComplete = BaseBackupCatalogue(directory: run.context.backupDirectory).complete.filter { !before.completeBase.contains($0.archivePath) }.count
            what = ("one new complete base backup with its manifests", "no new base backup file and no partial file")
        case .full, .incremental:
            newArchives = names.filter { BackupArchiveName(fileName: $0, kind: .full) != nil && !before.files.contains($0) }
            newComplete = BackupCatalogue(directory: run.context.backupDirectory).complete.filter { entry in !before.complete.contains { $0.archivePath == entry.archivePath } }.count
            what = ("one new complete archive with its manifest", "no new archive and no partial file")
        }
        switch state {
        case .complete:
            return [run.check("archive complete", newComplete == 1 && partial.isEmpty, expected: what.one,
                              actual: "\(newComplete) new complete \(mode == .base ? "base backup(s)" : "archive(s)")" + (partial.isEmpty ? "" : ", partial file(s) \(partial.joined(separator: ", "))"), seconds: child.seconds)]
        case .absent:
            return [run.check("archive absent", newArchives.isEmpty && partial.isEmpty, expected: what.none,
                              actual: newArchives.isEmpty && partial.isEmpty ? "none" : (newArchives + partial).joined(separator: ", "), seconds: child.seconds)]
        }
    }

    /// A full backup's duration gives the projected worst-case RPO; an incremental backup's,
    /// the archive lag.
    func conclude(_ run: StepRun, child: PraChild.Result, stepSeconds: Double) -> (checks: [CheckResult], measured: RecoveryMeasurement?) {
        guard child.exitCode == 0 else { return ([], nil) }
        switch mode {
        case .full:
            run.state.lastBackupSeconds = stepSeconds
            let interval = run.options.backupInterval
            run.context.log("\(run.label): backup took \(DurationParser.format(stepSeconds)): projected worst-case RPO BACKUP_INTERVAL \(DurationParser.format(interval)) + \(DurationParser.format(stepSeconds)) = \(Int((interval + stepSeconds).rounded())) s")
        case .incremental:
            if let result = child.document(IncrementalBackupResult.self) {
                run.state.archiveLag = max(run.state.archiveLag ?? 0, result.seconds)
            }
        case .base:
            break
        }
        return ([], nil)
    }
}

extension StepAction {
    /// `backup: {}`: `pra backup --full`.
    static let backup = StepAction(BackupStep(mode: .full))
    /// `backup: {kind: base}`: `pra backup --base`.
    static let baseBackup = StepAction(BackupStep(mode: .base))
    /// `backup: {kind: incremental}`: `pra backup --incremental`.
    static let incrementalBackup = StepAction(BackupStep(mode: .incremental))
}
