import Foundation

/// Puts the shards of one pipeline (`pra drill run --shard I/N` in N parallel jobs) back
/// together into one run, so a report judges the pipeline as if one job had run the catalogue.
///
/// Shards belong together when they carry the same plan fingerprint, shard count and group
/// (`--group` or the CI's pipeline id; without one, the UTC day the shard started). A shard
/// recorded twice (the same history passed twice, a retried job) counts once: its latest run.
public enum ShardedRunMerger {
    /// A pipeline whose shards are not all in the histories read.
    public struct IncompletePipeline: Sendable, Equatable {
        public var group: String
        public var count: Int
        public var missing: [Int]

        public init(group: String, count: Int, missing: [Int]) {
            self.group = group
            self.count = count
            self.missing = missing
        }

        /// "pipeline gitlab-1234: shards 2/3 and 3/3 missing".
        public var sentence: String {
            let shards = missing.map { "\($0)/\(count)" }
            let list = shards.count == 1 ? shards[0] : shards.dropLast().joined(separator: ", ") + " and " + shards.last!
            return "pipeline \(group): shard\(missing.count == 1 ? "" : "s") \(list) missing"
        }
    }

    /// `runs` with every pipeline's shards replaced by one merged run (placed where its first
    /// shard started) and the pipelines that lack shards. Whole runs pass through unchanged;
    /// identical records (same run id) are kept once.
    public static func merge(_ runs: [DrillRunResult]) -> (runs: [DrillRunResult], incomplete: [IncompletePipeline]) {
        var seen = Set<String>()
        var whole: [DrillRunResult] = []
        var pipelines: [String: [DrillRunResult]] = [:]
        var order: [String] = []
        for run in runs {
            let identity = run.runID + "#" + (run.shard.map { "\($0.index)/\($0.count)" } ?? "")
            guard seen.insert(identity).inserted else { continue }
            guard let shard = run.shard else {
                whole.append(run)
                continue
            }
            let key = "\(groupName(run, shard))|\(shard.plan)|\(shard.count)"
            if pipelines[key] == nil { order.append(key) }
            pipelines[key, default: []].append(run)
        }
        var merged = whole
        var incomplete: [IncompletePipeline] = []
        for key in order {
            let shards = pipelines[key]!
            let (run, missing) = mergePipeline(shards)
            merged.append(run)
            if !missing.isEmpty {
                incomplete.append(IncompletePipeline(group: groupName(shards[0], shards[0].shard!), count: shards[0].shard!.count, missing: missing))
            }
        }
        return (merged.sorted { $0.startedAt < $1.startedAt }, incomplete)
    }

    private static func groupName(_ run: DrillRunResult, _ shard: ShardRecord) -> String {
        if let group = shard.group { return group }
        let day = ISO8601DateFormatter.string(from: run.startedAt, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        return "\(shard.plan) of \(day)"
    }

    private static func mergePipeline(_ shards: [DrillRunResult]) -> (DrillRunResult, missing: [Int]) {
        var latest: [Int: DrillRunResult] = [:]
        for run in shards {
            let index = run.shard!.index
            if let other = latest[index], other.startedAt >= run.startedAt { continue }
            latest[index] = run
        }
        let record = shards[0].shard!
        let runs = latest.keys.sorted().map { latest[$0]! }
        let position = Dictionary(record.catalogue.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let scenarios = runs.flatMap(\.scenarios).enumerated()
            .sorted { (position[$0.element.name] ?? Int.max, $0.offset) < (position[$1.element.name] ?? Int.max, $1.offset) }
            .map(\.element)
        let startedAt = runs.map(\.startedAt).min()!
        let finishedAt = runs.map(\.finishedAt).max()!
        let unique = { (values: [String]) -> String in values.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: ", ") }
        let run = DrillRunResult(
            runID: runs.first { $0.startedAt == startedAt }!.runID + "+\(record.count)-shards",
            toolVersion: unique(runs.map(\.toolVersion)), host: unique(runs.map(\.host)),
            startedAt: startedAt, finishedAt: finishedAt, seconds: finishedAt.timeIntervalSince(startedAt),
            scenarios: scenarios, jobs: runs.compactMap(\.jobs).max())
        // `record.count` comes from a file: a count under 1 (which readHistory already refuses)
        // must not trap here either.
        let missing = record.count >= 1 ? (1...record.count).filter { latest[$0] == nil } : []
        return (run, missing)
    }
}
