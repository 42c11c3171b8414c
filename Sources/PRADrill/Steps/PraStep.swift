import Foundation
import PRADrillResults

/// A step kind that runs the `pra` executable as a child, as cron would: ``PraStepRunner``
/// takes a snapshot of the backup directory, starts the child with ``arguments(_:before:)``
/// and `--json --quiet`, applies the step's injected fault before or during it, judges the
/// expectations every such step takes (`outcome`, `exit_code`, `message_contains`,
/// `seconds_max`, `earlier_backups`) and the kind's own (``judge(_:child:before:)``), undoes
/// the fault, then lets the kind measure (``conclude(_:child:stepSeconds:)``).
///
/// Steps run with `--json --quiet`, so ``messages(of:)`` rebuilds the lines the command prints
/// for a person from its JSON document, with the same PRACore summaries the command prints,
/// so that `message_contains` can match them. A failed command's one line (`pra: error: ...`)
/// is on stderr already.
protocol PraStep: DrillStep {
    /// The `expect:` keys this kind takes besides the common ones (``PraStep/commonExpectations``).
    var ownExpectations: [String] { get }
    /// `pra`'s arguments, without `--json --quiet`; throws when the step cannot run (the archive
    /// its selector names does not exist), with the check that says so.
    func arguments(_ run: StepRun, before: BackupSnapshot) throws(StepNotRun) -> [String]
    /// The human-readable lines the command would have printed without `--json`.
    func messages(of child: PraChild.Result) -> [String]
    /// The kind's own expectations, judged before the injected fault is undone (the files as
    /// the step left them).
    func judge(_ run: StepRun, child: PraChild.Result, before: BackupSnapshot) -> [CheckResult]
    /// After the fault is undone: what the kind measures (RTO, RPO, durations) and judges of it.
    func conclude(_ run: StepRun, child: PraChild.Result, stepSeconds: Double) -> (checks: [CheckResult], measured: RecoveryMeasurement?)
}

/// The check a `pra` step gives instead of running, when it cannot run.
struct StepNotRun: Error {
    let check: CheckResult
}

extension PraStep {
    static var runsPra: Bool { true }

    /// The expectations every `pra` step takes.
    static var commonExpectations: [String] { ["outcome", "exit_code", "message_contains", "seconds_max"] }

    var expectationKeys: [String]? { Self.commonExpectations + ownExpectations }

    func judge(_ run: StepRun, child: PraChild.Result, before: BackupSnapshot) -> [CheckResult] { [] }

    func conclude(_ run: StepRun, child: PraChild.Result, stepSeconds: Double) -> (checks: [CheckResult], measured: RecoveryMeasurement?) { ([], nil) }

    func run(_ run: StepRun) -> StepOutcome {
        PraStepRunner(kind: self, run: run).perform()
    }
}
