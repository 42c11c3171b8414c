import Foundation

/// The bookkeeping both restore strategies (``RestoreOperation``, ``PointInTimeRestoreOperation``)
/// share, over the ``RunRecorder`` every operation uses: the result, the time of each phase,
/// the failure, and on the way out the report file and the evidence record. A report that cannot
/// be written is recorded in ``RestoreResult/reportError`` (a field of `--json`), never dropped;
/// `pra restore` exits 1 on it, the restored database standing.
struct RestoreRun {
    let configuration: Configuration
    var result: RestoreResult
    private var recorder = RunRecorder()

    init(configuration: Configuration, targetDatabase: String) {
        self.configuration = configuration
        result = RestoreResult(targetDatabase: targetDatabase, startedAt: recorder.startedAt)
    }

    /// Starts timing `phase` (ending the one before).
    mutating func begin(_ phase: OperationPhase) {
        recorder.begin(phase)
    }

    /// Records the failure of the restore in `stage` (the first one stands).
    mutating func fail(stage: OperationPhase, message: String) {
        recorder.fail(stage: stage, message: message)
        result.failedStage = recorder.failure?.stage.rawValue
        result.failure = recorder.failure?.message
    }

    /// Ends the timing, writes the report, then appends the evidence record `evidence` makes of
    /// the final result; returns the result.
    mutating func finish(evidence: (RestoreResult) -> EvidenceWriter.Outcome) -> RestoreResult {
        recorder.end()
        result.phases = recorder.phases.map { RestoreResult.Phase(name: $0.phase.rawValue, seconds: $0.seconds) }
        result.seconds = recorder.elapsed()
        do {
            result.reportFile = try RestoreReport(result: result).write(to: configuration.reportDirectory)
        } catch {
            result.reportError = "cannot write the restore report in REPORT_DIR=\(configuration.reportDirectory): \(error)"
        }
        let outcome = evidence(result)
        (result.evidenceFile, result.evidenceError) = (outcome.file, outcome.error)
        return result
    }
}

/// How a restore step ends a restore early. ``failed`` is a failed restore, recorded in the
/// result and its report (exit 1); ``refused`` is thrown to the caller before anything is
/// recorded (a refusal: exit 2 when it is a usage error).
enum RestoreStop: Error {
    case failed(stage: OperationPhase, message: String)
    case refused(OperationFailure)
}
