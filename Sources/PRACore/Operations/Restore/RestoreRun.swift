import Foundation

/// The bookkeeping both restore strategies (``RestoreOperation``, ``PointInTimeRestoreOperation``)
/// share: the result, the time of each phase, and on the way out the report file and the
/// evidence record. A report that cannot be written is recorded in
/// ``RestoreResult/reportError`` (a warning, and a field of `--json`), never dropped.
struct RestoreRun {
    let configuration: Configuration
    var result: RestoreResult
    private let clock = MonotonicClock.now()
    private var phases = PhaseTimer()

    init(configuration: Configuration, targetDatabase: String) {
        self.configuration = configuration
        result = RestoreResult(targetDatabase: targetDatabase, startedAt: Date())
    }

    /// Starts timing `phase` (ending the one before).
    mutating func begin(_ phase: String) {
        phases.begin(phase)
    }

    /// Ends the timing, writes the report, then appends the evidence record `evidence` makes of
    /// the final result; returns the result.
    mutating func finish(evidence: (RestoreResult) -> EvidenceWriter.Outcome) -> RestoreResult {
        phases.end()
        result.phases = phases.phases
        result.seconds = clock.elapsed()
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
    case failed(stage: String, message: String)
    case refused(OperationFailure)
}
