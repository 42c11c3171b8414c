import Foundation
import PRACore
import PRADrillResults

/// How `pra drill run --shard I/N` splits a catalogue over N parallel jobs.
///
/// Deterministic: every job computes the same plan from the same scenario files and the same
/// history, so the N jobs together run every scenario exactly once. Balanced: the longest
/// scenarios are placed first, each on the shard with the least work so far (longest processing
/// time first), using each scenario's latest duration from the history; scenarios the history
/// does not know count as the average of the known ones (or all alike when none is known).
public struct ShardPlan: Sendable, Equatable {
    /// Every scenario name, in run order.
    public let catalogue: [String]
    public let count: Int
    /// 1-based shard of each scenario.
    public let shardOf: [String: Int]
    /// The expected seconds of each shard (from the history; estimates for unknown scenarios).
    public let expectedSeconds: [Double]

    public init(catalogue: [String], count: Int, durations: [String: Double] = [:]) {
        precondition(count >= 1, "a plan has at least one shard")
        self.catalogue = catalogue
        self.count = count
        let known = catalogue.compactMap { durations[$0] }
        let fallback = known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
        // Tenths of a second: a history re-encoded elsewhere gives the same plan.
        let weight = { (name: String) -> Double in ((durations[name] ?? fallback) * 10).rounded() / 10 }
        let order = catalogue.sorted { (weight($0), $1) > (weight($1), $0) }
        var loads = [Double](repeating: 0, count: count)
        var shardOf: [String: Int] = [:]
        for name in order {
            let lightest = loads.indices.min { (loads[$0], $0) < (loads[$1], $1) }!
            shardOf[name] = lightest + 1
            loads[lightest] += weight(name)
        }
        self.shardOf = shardOf
        expectedSeconds = loads
    }

    /// The scenarios of shard `index` (1-based), in run order.
    public func names(ofShard index: Int) -> [String] {
        catalogue.filter { shardOf[$0] == index }
    }

    /// A fingerprint of the assignment: equal plans, equal fingerprints.
    public var fingerprint: String {
        let text = "\(count)\n" + catalogue.map { "\($0)=\(shardOf[$0]!)\n" }.joined()
        return String(ContentDigest.sha256Hex(Data(text.utf8)).prefix(16))
    }

    /// The record a shard's run result carries.
    public func record(shard index: Int, group: String?) -> ShardRecord {
        ShardRecord(index: index, count: count, group: group, plan: fingerprint, catalogue: catalogue)
    }

    /// Each scenario's latest recorded duration (skipped runs left out), for balancing.
    public static func durations(from runs: [DrillRunResult]) -> [String: Double] {
        var durations: [String: Double] = [:]
        for run in runs.sorted(by: { $0.startedAt < $1.startedAt }) {
            for scenario in run.scenarios where scenario.verdict != .skipped {
                durations[scenario.name] = scenario.seconds
            }
        }
        return durations
    }

    /// Parses `I/N` (1 ≤ I ≤ N); `nil` when it is not one.
    public static func parseShard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, (1...count).contains(index) else { return nil }
        return (index, count)
    }

    /// The pipeline id a CI system gives every job of one pipeline run, so the shards of one
    /// pipeline carry the same group without configuration: GitLab `CI_PIPELINE_ID`, GitHub
    /// Actions `GITHUB_RUN_ID` (with `GITHUB_RUN_ATTEMPT`), Jenkins `BUILD_TAG`, Buildkite
    /// `BUILDKITE_BUILD_ID`.
    public static func ciGroup(environment: [String: String]) -> String? {
        if let id = environment["CI_PIPELINE_ID"], !id.isEmpty { return "gitlab-\(id)" }
        if let id = environment["GITHUB_RUN_ID"], !id.isEmpty { return "github-\(id)-\(environment["GITHUB_RUN_ATTEMPT"] ?? "1")" }
        if let id = environment["BUILDKITE_BUILD_ID"], !id.isEmpty { return "buildkite-\(id)" }
        if let id = environment["BUILD_TAG"], !id.isEmpty { return "jenkins-\(id)" }
        return nil
    }
}
