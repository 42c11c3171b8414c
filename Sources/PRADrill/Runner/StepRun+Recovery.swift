import Foundation
import PRACore
import PRADrillResults

extension StepRun {
    /// Measures one successful recovery after the disaster: its RTO (disaster until this step
    /// exited) and, with a workload, its RPO from the newest heartbeat it brought back. The
    /// first such recovery also gives the scenario's headline values (RTO, RPO, phases,
    /// throughput): the moment service was back.
    func measureRecovery(restore: RestoreResult?, disasterClock: MonotonicClock, stepSeconds: Double, restoredAt recovered: ConnectionSettings? = nil) -> RecoveryMeasurement {
        let rto = disasterClock.elapsed()
        let first = state.rto == nil
        var measured = RecoveryMeasurement(rto: rto)
        let target = restore?.targetDatabase ?? "\(context.database)_restore"
        // A logical restore lands in a database of the scenario's cluster; a point-in-time one on its own server.
        let server = recovered ?? context.cluster.connectionSettings
        if first {
            state.rto = rto
            state.rtoPhases = rtoPhases(rto: rto, restore: restore, stepSeconds: stepSeconds)
            let size = ((try? PostgresConnection(server, applicationName: "pra-drill").scalar("SELECT pg_database_size($1)", [target])) ?? nil) ?? ""
            if let bytes = Double(size), stepSeconds > 0 {
                state.restoreBytesPerSecond = bytes / stepSeconds
            }
        }
        var rpoText = ""
        var note: String?
        if let disasterDate = state.disasterDate, scenario.heartbeatRate != nil {
            do {
                if let newest = try HeartbeatWorkload.newestHeartbeat(settings: server, database: target) {
                    if first { state.heartbeatsRecovered = newest.count }
                    if let acknowledged = context.workload?.acknowledgement(of: newest.sequence) {
                        measured.rpo = disasterDate.timeIntervalSince(acknowledged)
                        rpoText = ", RPO \(DurationParser.format(measured.rpo ?? 0)) (newest heartbeat #\(newest.sequence))"
                    } else {
                        note = "heartbeat #\(newest.sequence) was restored but its acknowledgement was not recorded"
                    }
                } else {
                    note = "no heartbeat in the restored database (the backup predates the workload)"
                }
            } catch {
                note = "cannot read heartbeats from \(target): \(error)"
            }
        }
        if first {
            state.rpo = measured.rpo
            state.rpoNote = note
        }
        context.log("\(label): recovered: RTO \(DurationParser.format(rto))\(rpoText)" + (first ? "" : " (this recovery's own; the scenario's headline values are the first recovery's)"))
        return measured
    }

    /// The first recovery's RTO split into phases: provisioning, until the restore started, the
    /// restore's own phases, process start and exit.
    private func rtoPhases(rto: Double, restore: RestoreResult?, stepSeconds: Double) -> [PhaseRecord] {
        var phases: [PhaseRecord] = []
        if let provision = state.provisionSeconds { phases.append(PhaseRecord(name: "provision server", seconds: provision)) }
        let restorePhases = (restore?.phases ?? []).map { PhaseRecord(name: $0.name, seconds: $0.seconds) }
        let accounted = phases.reduce(0) { $0 + $1.seconds } + stepSeconds
        phases.append(PhaseRecord(name: "until restore started", seconds: max(0, rto - accounted)))
        phases += restorePhases
        let inRestore = restorePhases.reduce(0) { $0 + $1.seconds }
        phases.append(PhaseRecord(name: "process start and exit", seconds: max(0, stepSeconds - inRestore)))
        return phases
    }

    /// Checks a recovery step's RTO/RPO bounds against what this step measured: a step that
    /// did not recover has no measurement, whatever an earlier recovery measured.
    func judgeMeasurement(_ measured: RecoveryMeasurement?) -> [CheckResult] {
        let expect = step.expect
        var checks: [CheckResult] = []
        func bound(_ what: String, _ value: Double?, _ limit: Double?, atMost: Bool) {
            guard let limit else { return }
            let expected = (atMost ? "≤ " : "≥ ") + DurationParser.format(limit)
            guard let value else {
                let why = measured == nil ? "not measured: this step did not recover the database" : "not measured"
                checks.append(failure(what, expected: expected, actual: why, message: "expected \(expected), got no measurement (\(why))"))
                return
            }
            checks.append(check(what, atMost ? value <= limit : value >= limit, expected: expected, actual: DurationParser.format(value)))
        }
        bound("RTO at most", measured?.rto, expect.rtoMax, atMost: true)
        bound("RPO at most", measured?.rpo, expect.rpoMax, atMost: true)
        bound("RPO at least", measured?.rpo, expect.rpoMin, atMost: false)
        return checks
    }
}
