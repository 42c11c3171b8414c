import Foundation
import PRACore
import PRADrillResults
import Yams

/// The point-in-time form of the restore step: `restore: {pitr: latest | disaster | MARK, offset: ±DURATION}`.
extension RestoreStep {
    static func readPointInTime(_ pitr: Node, map: NodeReader.Mapping, options: StepOptions) throws(ScenarioError) -> PointInTimeTarget {
        let reader = options.reader
        for other in ["archive", "target_db", "force"] {
            if let node = map.node(other) { throw options.error(node, option: other, "a point-in-time restore (pitr) recovers the whole cluster into a new directory; \(other) is for logical restores") }
        }
        let anchor: PointInTimeTarget.Anchor
        switch try reader.string(pitr, key: options.path("pitr")) {
        case "latest": anchor = .latest
        case "disaster": anchor = .disaster
        case let name: anchor = .mark(name)
        }
        let offset = try map.node("offset").map { (node) throws(ScenarioError) -> Double in
            guard anchor != .latest else { throw options.error(node, option: "offset", "offset shifts a moment; pitr: latest has none") }
            let text = try reader.string(node, key: options.path("offset"))
            let negative = text.hasPrefix("-")
            guard let seconds = DurationParser.seconds(negative || text.hasPrefix("+") ? String(text.dropFirst()) : text) else {
                throw options.error(node, option: "offset", "must be a duration with an optional sign, e.g. -2s or +500ms")
            }
            return negative ? -seconds : seconds
        } ?? 0
        return PointInTimeTarget(anchor: anchor, offset: offset)
    }

    func validatePointInTime(_ target: PointInTimeTarget, step: Step, order: StepOrder) throws(ScenarioError) {
        try order.needArchiving("restore pitr")
        if order.baseBackups == 0 { throw order.fail("restore pitr needs a backup: {kind: base} step before it") }
        switch target.anchor {
        case .latest: break
        case .disaster:
            if !order.disaster { throw order.fail("pitr: disaster needs a disaster step before this restore") }
        case .mark(let name):
            if !order.marks.contains(name) {
                throw order.fail("pitr: \(name) names no earlier mark step" + (order.marks.isEmpty ? "" : " (marks so far: \(order.marks.sorted().joined(separator: ", ")))"))
            }
        }
        if step.expect.rowsBack != nil && !order.badTransaction {
            throw order.fail("expect.rows_back needs a bad-transaction disaster before this restore")
        }
    }

    func pointInTimeArguments(_ target: PointInTimeTarget, run: StepRun) -> [String] {
        var arguments = ["restore", "--pitr", "--target-dir", run.context.freshDirectory("recovered")]
        let moment: Date?
        switch target.anchor {
        case .latest: moment = nil
        case .disaster: moment = run.state.disasterDate
        case .mark(let name): moment = run.context.marks[name]
        }
        if let moment {
            arguments += ["--target-time", RecoveryTarget.format(moment.addingTimeInterval(target.offset))]
        }
        return arguments
    }

    /// The recovered server runs until the scenario ends (measurements read from it); after a
    /// disaster its RTO and RPO are measured on it, and `rows_back`, `copy_in_archive` judged.
    func concludePointInTime(_ target: PointInTimeTarget, run: StepRun, child: PraChild.Result, stepSeconds: Double) -> (checks: [CheckResult], measured: RecoveryMeasurement?) {
        let context = run.context
        let restore = child.document(RestoreResult.self)
        if let details = restore?.pointInTime {
            context.atEnd { ServerControl.shutdown(dataDirectory: details.dataDirectory) }
            let token = InterruptCleanup.shared.register { ServerControl.shutdown(dataDirectory: details.dataDirectory, grace: 5) }
            context.atEnd { InterruptCleanup.shared.unregister(token) }
        }
        let recovered = restore?.pointInTime.map { details in
            ConnectionSettings(parameters: ["host": details.socketDirectory, "port": "\(details.port)", "user": context.cluster.superuser, "dbname": context.database])
        }
        var measured: RecoveryMeasurement?
        if child.exitCode == 0, let disasterClock = run.state.disasterClock, let recovered {
            measured = run.measureRecovery(restore: restore, disasterClock: disasterClock, stepSeconds: stepSeconds, restoredAt: recovered)
            if target.anchor == .latest, measured?.rpo != nil { run.state.recoveredLatest = true }
        }
        var checks: [CheckResult] = []
        if let wanted = run.step.expect.rowsBack {
            checks.append(rowsBackCheck(run, wanted: wanted, recovered: recovered))
        }
        if let wanted = run.step.expect.copyInArchive {
            checks.append(copyInArchiveCheck(run, wanted: wanted, recovered: recovered))
        }
        return (checks + run.judgeMeasurement(measured), measured)
    }

    /// Whether the table a bad transaction emptied holds its rows again in the recovered server.
    private func rowsBackCheck(_ run: StepRun, wanted: Bool, recovered: ConnectionSettings?) -> CheckResult {
        guard let damaged = run.state.damaged else {
            return run.failure("rows back", expected: "the rows of the damaged table", actual: "no rows were deleted by a bad transaction", message: "expected a bad-transaction disaster that deleted rows to compare with, got none (see the disaster step)")
        }
        let expected = wanted ? "\(damaged.rows) rows in \(damaged.table), as before the bad transaction" : "not the \(damaged.rows) rows \(damaged.table) had"
        guard let recovered else {
            return run.check("rows back", false, expected: expected, actual: "no recovered server")
        }
        let count = (try? PostgresConnection(recovered, applicationName: "pra-drill").scalar("SELECT count(*) FROM \(DisasterInjector.quoted(damaged.table))")).flatMap { $0 }
        let actual = count.map { "\($0) rows" } ?? "cannot count the rows of \(damaged.table)"
        return run.check("rows back", (count == String(damaged.rows)) == wanted, expected: expected, actual: actual)
    }

    /// Whether the recovered copy's timeline reached the scenario's WAL archive (``CopyArchiveProbe``).
    private func copyInArchiveCheck(_ run: StepRun, wanted: Bool, recovered: ConnectionSettings?) -> CheckResult {
        let expected = wanted ? "the recovered copy's timeline in the WAL archive" : "nothing of the recovered copy's timeline in the WAL archive"
        guard let recovered else {
            return run.check("copy in archive", false, expected: expected, actual: "no recovered server")
        }
        let finding: CopyArchiveProbe.Finding
        do {
            finding = try CopyArchiveProbe(recovered: recovered, backupDirectory: run.context.backupDirectory).run()
        } catch {
            return run.failure("copy in archive", expected: expected, actual: "cannot probe the recovered server", message: "expected \(expected), but cannot probe the recovered server: \(error)")
        }
        let actual = finding.archived.isEmpty
            ? "no file of timeline \(finding.timeline) archived (\(finding.archiver))"
            : "\(finding.archived.count) file(s) of timeline \(finding.timeline) archived: \(finding.archived.prefix(3).joined(separator: ", ")) (\(finding.archiver))"
        run.context.log("\(run.label): copy in archive: \(actual)")
        return run.check("copy in archive", finding.archived.isEmpty != wanted, expected: expected, actual: actual)
    }
}
