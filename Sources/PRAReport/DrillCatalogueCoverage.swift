import PRADrillResults

extension DrillCatalogue {
    /// The run that covers the most catalogue scenarios (the newest on a tie), `nil` for none.
    public func mostComplete(_ runs: [DrillRunResult]) -> DrillRunResult? {
        var best: DrillRunResult?
        var bestMissing = Int.max
        for run in runs.sorted(by: { $0.startedAt < $1.startedAt }) {
            let count = missing(in: run).count
            if count <= bestMissing {
                best = run
                bestMissing = count
            }
        }
        return best
    }

    /// What the most complete run lacked and the command that fixes it, as a sentence that
    /// follows "no run included all N scenarios" (empty when there is no run).
    public func coverageAdvice(_ runs: [DrillRunResult]) -> String {
        guard let run = mostComplete(runs) else { return "" }
        let missing = missing(in: run)
        guard !missing.isEmpty else { return "" }
        return " The most complete run, \(run.runID), lacked \(missing.count == 1 ? "1 scenario" : "\(missing.count) scenarios"): \(missing.joined(separator: ", ")). Fix: run the whole catalogue with pra drill run --report (or scripts/main-job.sh)."
    }
}
