/// Which `pra drill run` is partial: a subset of the catalogue (`pra drill run
/// scenarios/one.yaml`, as `pra drill new` suggests, or `--only`). Its reports go to
/// `REPORT_DIR/partial/`, so that the full drill's `junit.xml` (a CI gate) and the history the
/// compliance report reads never get a partial run in their place.
enum PartialRun {
    /// The subdirectory of `REPORT_DIR` a partial run writes to.
    static let directoryName = "partial"

    /// True when `running` is a strict subset of the catalogue: `catalogue` (the names in
    /// `./scenarios`, when there is one) if every scenario run belongs to it, else `loaded` (every
    /// scenario the paths named, before `--only`). Scenarios from elsewhere are a catalogue of their own.
    static func isPartial(running: [String], loaded: [String], catalogue: [String]?) -> Bool {
        let run = Set(running)
        if let catalogue, run.isSubset(of: Set(catalogue)) {
            return run != Set(catalogue)
        }
        return run != Set(loaded)
    }
}
