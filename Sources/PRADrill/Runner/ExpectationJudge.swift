import Foundation
import PRACore
import PRADrillResults

extension ScenarioRunner {
    /// Checks a `pra` step's expectations against what it did.
    func judge(_ step: Step, label: String, child: PraChild.Result, messages: [String] = [], before: BackupSnapshot, context: ScenarioContext) -> [CheckResult] {
        let expect = step.expect
        var checks: [CheckResult] = []
        let seconds = child.seconds
        let exitText = child.exitCode == 0 ? "success (exit 0)" : "failure (exit \(child.exitCode)\(child.errorLine.map { ": \($0.replacingOccurrences(of: "pra: error: ", with: ""))" } ?? ""))"
        func check(_ what: String, _ passed: Bool, expected: String, actual: String) {
            checks.append(CheckResult(name: "\(label): \(what)", passed: passed, expected: expected, actual: actual, message: passed ? nil : "expected \(expected), got \(actual)", seconds: seconds))
        }

        // With no expectations at all, a step must at least succeed.
        let outcome = expect.outcome ?? (expect.isEmpty ? .success : nil)
        if let outcome {
            check("outcome", (child.exitCode == 0) == (outcome == .success), expected: outcome.rawValue, actual: exitText)
        }
        if let code = expect.exitCode {
            check("exit code", child.exitCode == code, expected: "exit \(code)", actual: "exit \(child.exitCode)")
        }
        if let limit = expect.secondsMax {
            check("answered in time", seconds <= limit, expected: "≤ \(DurationParser.format(limit))", actual: DurationParser.format(seconds))
        }
        // stderr, the --json document, and the human-readable lines the command prints without --json.
        let output = ([child.stderr, child.stdout] + messages).joined(separator: "\n")
        for text in expect.messageContains {
            check("message contains \"\(text)\"", output.contains(text), expected: "output containing \"\(text)\"", actual: child.errorLine ?? String(output.suffix(200)))
        }
        if let state = expect.archive, step.action == .baseBackup {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: before.baseDirectory)) ?? []
            let partial = names.filter { $0.hasSuffix(".partial") }
            let newArchives = names.filter { BackupArchiveName(fileName: $0, kind: .base) != nil && !before.baseFiles.contains($0) }
            let newComplete = BaseBackupCatalogue(directory: context.backupDirectory).complete.filter { !before.completeBase.contains($0.archivePath) }
            switch state {
            case .complete:
                check("archive complete", newComplete.count == 1 && partial.isEmpty, expected: "one new complete base backup with its manifests",
                      actual: "\(newComplete.count) new complete base backup(s)" + (partial.isEmpty ? "" : ", partial file(s) \(partial.joined(separator: ", "))"))
            case .absent:
                check("archive absent", newArchives.isEmpty && partial.isEmpty, expected: "no new base backup file and no partial file",
                      actual: newArchives.isEmpty && partial.isEmpty ? "none" : (newArchives + partial).joined(separator: ", "))
            }
        } else if let state = expect.archive {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: context.backupDirectory)) ?? []
            let partial = names.filter { $0.hasSuffix(".partial") }
            let newArchives = names.filter { $0.hasSuffix(BackupArchiveName.suffix) && !before.files.contains($0) }
            let newComplete = BackupCatalogue(directory: context.backupDirectory).complete.filter { entry in !before.complete.contains { $0.archivePath == entry.archivePath } }
            switch state {
            case .complete:
                check("archive complete", newComplete.count == 1 && partial.isEmpty, expected: "one new complete archive with its manifest",
                      actual: "\(newComplete.count) new complete archive(s)" + (partial.isEmpty ? "" : ", partial file(s) \(partial.joined(separator: ", "))"))
            case .absent:
                check("archive absent", newArchives.isEmpty && partial.isEmpty, expected: "no new archive and no partial file",
                      actual: newArchives.isEmpty && partial.isEmpty ? "none" : (newArchives + partial).joined(separator: ", "))
            }
        }
        if expect.earlierBackupsUntouched == true {
            let changed = before.changedBackups()
            check("earlier backups untouched", changed.isEmpty, expected: "\(before.complete.count) earlier backup(s) unchanged", actual: changed.isEmpty ? "unchanged" : "changed or gone: \(changed.joined(separator: ", "))")
        }
        if let level = expect.statusLevel {
            let actual = child.document(StatusReport.self)?.level.rawValue ?? "no status (exit \(child.exitCode))"
            check("status level", actual == level, expected: level, actual: actual)
        }
        if let wanted = expect.rowsMatchManifest {
            let integrity = child.document(RestoreResult.self)?.checks.first { $0.name == "integrity" }
            let passed = integrity?.passed ?? false
            let actual = integrity?.message ?? "no integrity check (no manifest, or the restore failed)"
            check("rows match manifest", passed == wanted, expected: wanted ? "row counts equal to the manifest" : "row counts differing from the manifest", actual: actual)
        }
        if let selector = expect.usedBackup {
            let expectedArchive = selector.pick(before.complete)?.archivePath
            let used = child.document(RestoreResult.self)?.archive
            check("used backup", expectedArchive != nil && used == expectedArchive,
                  expected: "the \(selector) backup (\(expectedArchive.map { ($0 as NSString).lastPathComponent } ?? "none"))",
                  actual: used.map { ($0 as NSString).lastPathComponent } ?? "none")
        }
        return checks
    }

    /// Checks a recovery step's RTO/RPO bounds against what this step measured: a step that
    /// did not recover has no measurement, whatever an earlier recovery measured.
    func judgeMeasurement(_ expect: Expectations, label: String, measured: RecoveryMeasurement?) -> [CheckResult] {
        var checks: [CheckResult] = []
        func bound(_ what: String, _ value: Double?, _ limit: Double?, atMost: Bool) {
            guard let limit else { return }
            let expected = (atMost ? "≤ " : "≥ ") + DurationParser.format(limit)
            guard let value else {
                let why = measured == nil ? "not measured: this step did not recover the database" : "not measured"
                checks.append(CheckResult(name: "\(label): \(what)", passed: false, expected: expected, actual: why, message: "expected \(expected), got no measurement (\(why))"))
                return
            }
            let passed = atMost ? value <= limit : value >= limit
            checks.append(CheckResult(name: "\(label): \(what)", passed: passed, expected: expected, actual: DurationParser.format(value), message: passed ? nil : "expected \(expected), got \(DurationParser.format(value))"))
        }
        bound("RTO at most", measured?.rto, expect.rtoMax, atMost: true)
        bound("RPO at most", measured?.rpo, expect.rpoMax, atMost: true)
        bound("RPO at least", measured?.rpo, expect.rpoMin, atMost: false)
        return checks
    }
}
