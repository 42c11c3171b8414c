import Foundation
import PRACore
import PRADrillResults

/// The restore and backup durations a drill run measured, each with its database size, for
/// ``RestoreTimeModel``.
///
/// A passed scenario that recovered by a **logical** restore (`pra restore` of a backup, what
/// the plan's emergency procedure and weekly restore test run) gives one restore measurement:
/// the restore step that ended its RTO (its seconds, process start to exit) and the restored
/// database's size (the recorded restore throughput × that step's seconds, which is how the
/// runner derived the throughput from `pg_database_size`), with the run's `--jobs`. A
/// point-in-time recovery (base backup extracted, WAL replayed by a new server) is another
/// process whose time does not follow the same line: it gives none. The scenario's last
/// successful backup gives one backup measurement at the same size. Failed and skipped
/// scenarios give none: a failed one may have stopped half-way.
public enum DrillTimeMeasurements {
    /// The restores `run` measured, labelled `scenario (run id)`.
    public static func restores(in run: DrillRunResult, source: RestoreMeasurement.Source) -> [RestoreMeasurement] {
        run.scenarios.compactMap { scenario in
            guard scenario.verdict == .passed, let sized = sizedRestore(scenario) else { return nil }
            return RestoreMeasurement(sizeBytes: sized.bytes, seconds: sized.seconds, source: source, label: "\(scenario.name) (\(run.runID))", jobs: run.jobs ?? 1)
        }
    }

    /// The backups `run` measured, at the size of the database the scenario restored.
    public static func backups(in run: DrillRunResult, source: RestoreMeasurement.Source) -> [BackupMeasurement] {
        run.scenarios.compactMap { scenario in
            guard scenario.verdict == .passed, let sized = sizedRestore(scenario),
                  let backup = scenario.measurement.projections?.backupSeconds else { return nil }
            return BackupMeasurement(sizeBytes: sized.bytes, seconds: backup, source: source, label: "\(scenario.name) (\(run.runID))", jobs: run.jobs ?? 1)
        }
    }

    /// The recovery restore step's duration and the restored size, when both were recorded.
    static func sizedRestore(_ scenario: ScenarioResult) -> (bytes: Double, seconds: Double)? {
        guard let rate = scenario.measurement.projections?.restoreBytesPerSecond, rate > 0,
              let step = ScenarioCompliance.recoveryRestoreStep(scenario), step.seconds > 0 else { return nil }
        // Logical restores only: the step's recorded method, or (records before schema 6)
        // no point-in-time phase in the RTO.
        let pointInTime = step.recoveryMethod.map { $0 != .backup } ?? scenario.measurement.rtoPhases.contains { $0.phase == .recover || $0.phase == .extract }
        guard !pointInTime else { return nil }
        return (rate * step.seconds, step.seconds)
    }
}
