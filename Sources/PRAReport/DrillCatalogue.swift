import Foundation
import PRADrillResults

/// The scenarios a **full drill** runs, and the rule that tells a full run from a partial one.
///
/// A run is *full* when it has a result (passed, failed or skipped) for every scenario name of
/// the catalogue; a run made with `--only`, or one that predates a scenario added since, is
/// *partial*. A *passing* full drill is a full run in which no scenario failed (skipped
/// scenarios are counted and shown, never as passes).
///
/// The catalogue comes from the scenario files when they are at hand (`pra report --scenarios`,
/// default `scenarios/`); otherwise from the history: the names of the run with the most
/// scenarios, the newest such run on a tie.
public struct DrillCatalogue: Sendable, Equatable, Encodable {
    /// Where the names came from.
    public enum Source: Sendable, Equatable, Encodable {
        /// Loaded from scenario files at this path.
        case scenarioFiles(path: String)
        /// The run with the most scenarios in the history.
        case history(runID: String)
    }

    /// The scenario names, sorted.
    public var names: [String]
    public var source: Source

    /// A catalogue of these names.
    public init(names: [String], source: Source) {
        self.names = Array(Set(names)).sorted()
        self.source = source
    }

    /// The catalogue the history implies: the run with the most distinct scenario names
    /// (newest on a tie). `nil` for an empty history.
    public static func fromHistory(_ runs: [DrillRunResult]) -> DrillCatalogue? {
        var best: DrillRunResult?
        var bestCount = -1
        for run in runs.sorted(by: { $0.startedAt < $1.startedAt }) {
            let count = Set(run.scenarios.map(\.name)).count
            if count >= bestCount {
                best = run
                bestCount = count
            }
        }
        guard let best else { return nil }
        return DrillCatalogue(names: best.scenarios.map(\.name), source: .history(runID: best.runID))
    }

    /// Catalogue names `run` has no result for (empty for a full run).
    public func missing(in run: DrillRunResult) -> [String] {
        let ran = Set(run.scenarios.map(\.name))
        return names.filter { !ran.contains($0) }
    }

    /// True when `run` has a result for every scenario of the catalogue.
    public func isFull(_ run: DrillRunResult) -> Bool {
        missing(in: run).isEmpty
    }

    /// True when `run` is full and no scenario failed.
    public func isPassingFull(_ run: DrillRunResult) -> Bool {
        isFull(run) && run.failedCount == 0
    }

    /// How the rule reads in the report.
    public var sourceDescription: String {
        switch source {
        case .scenarioFiles(let path): return "the \(names.count) scenarios loaded from \(path)"
        case .history(let runID): return "the \(names.count) scenarios of \(runID), the largest run in the history"
        }
    }
}
