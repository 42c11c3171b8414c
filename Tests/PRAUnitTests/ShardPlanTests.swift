import Foundation
import PRACore
import PRADrill
import PRADrillResults
import PRATestSupport
import Testing

@Suite("drill sharding: plan and merge")
struct ShardPlanTests {
    /// The catalogue in scenarios/, as names.
    static let catalogue: [String] = {
        let directory = TestEnvironment.packageRoot + "/scenarios"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.sorted().map { String($0.dropLast(5)) }
    }()

    @Test("every scenario runs exactly once over N shards, with and without a history", arguments: [1, 2, 3, 4, 7, 30])
    func exactlyOnce(count: Int) throws {
        #expect(Self.catalogue.count >= 10, "the real catalogue was read")
        let durations = Dictionary(uniqueKeysWithValues: Self.catalogue.enumerated().map { ($1, Double(($0 * 37) % 11) + 0.5) })
        for plan in [ShardPlan(catalogue: Self.catalogue, count: count), ShardPlan(catalogue: Self.catalogue, count: count, durations: durations)] {
            let shards = (1...count).map { plan.names(ofShard: $0) }
            #expect(shards.flatMap { $0 }.sorted() == Self.catalogue.sorted())
            #expect(Set(shards.flatMap { $0 }).count == Self.catalogue.count, "no scenario in two shards")
            for shard in shards {
                #expect(shard == Self.catalogue.filter { shard.contains($0) }, "a shard keeps the catalogue's order")
            }
        }
    }

    @Test("the plan is deterministic: equal inputs, equal plans and fingerprints; another history or count, another fingerprint")
    func deterministic() {
        let durations = ["a": 12.0, "b": 3, "c": 7, "d": 7]
        let one = ShardPlan(catalogue: ["a", "b", "c", "d", "e"], count: 2, durations: durations)
        let two = ShardPlan(catalogue: ["a", "b", "c", "d", "e"], count: 2, durations: durations)
        #expect(one == two)
        #expect(one.fingerprint == two.fingerprint)
        #expect(one.fingerprint.count == 16)
        #expect(ShardPlan(catalogue: ["a", "b", "c", "d", "e"], count: 3, durations: durations).fingerprint != one.fingerprint)
        #expect(ShardPlan(catalogue: ["a", "b", "c", "d", "e"], count: 2, durations: ["e": 40]).fingerprint != one.fingerprint)
    }

    @Test("balanced by the history: longest first, each on the least loaded shard")
    func balancedByHistory() {
        let durations = ["s60": 60.0, "s50": 50, "s40": 40, "s30": 30, "s20": 20, "s10": 10]
        let plan = ShardPlan(catalogue: ["s10", "s20", "s30", "s40", "s50", "s60"], count: 3, durations: durations)
        #expect(plan.expectedSeconds == [70, 70, 70])
        #expect(plan.names(ofShard: 1) == ["s10", "s60"])
        #expect(plan.names(ofShard: 2) == ["s20", "s50"])
        #expect(plan.names(ofShard: 3) == ["s30", "s40"])
        // One long scenario alone on a shard; without durations the split is by count.
        let skewed = ShardPlan(catalogue: ["long", "a", "b", "c"], count: 2, durations: ["long": 100, "a": 10, "b": 10, "c": 10])
        #expect(skewed.names(ofShard: 1) == ["long"])
        #expect(ShardPlan(catalogue: ["long", "a", "b", "c"], count: 2).names(ofShard: 1).count == 2)
        // A scenario the history does not know counts as the average of the known ones.
        let unknown = ShardPlan(catalogue: ["known1", "known2", "new"], count: 2, durations: ["known1": 10, "known2": 30])
        #expect(unknown.expectedSeconds.sorted() == [30, 30])
    }

    @Test("durations come from each scenario's latest run that was not skipped")
    func durationsFromHistory() {
        let older = DrillRunFixtures.run(startedAt: Date(timeIntervalSince1970: 1000), scenarios: [("a", .passed, 5), ("b", .failed, 9)])
        let newer = DrillRunFixtures.run(startedAt: Date(timeIntervalSince1970: 2000), scenarios: [("a", .passed, 7), ("b", .skipped, 0.1)])
        #expect(ShardPlan.durations(from: [newer, older]) == ["a": 7, "b": 9])
    }

    @Test("--shard parsing and the CI pipeline id")
    func parsing() {
        #expect(ShardPlan.parseShard("2/3")! == (2, 3))
        #expect(ShardPlan.parseShard("1/1")! == (1, 1))
        for bad in ["0/3", "4/3", "1/0", "a/b", "3", "1/2/3", "", "-1/2"] {
            #expect(ShardPlan.parseShard(bad) == nil, "\(bad)")
        }
        #expect(ShardPlan.ciGroup(environment: ["CI_PIPELINE_ID": "991"]) == "gitlab-991")
        #expect(ShardPlan.ciGroup(environment: ["GITHUB_RUN_ID": "17", "GITHUB_RUN_ATTEMPT": "2"]) == "github-17-2")
        #expect(ShardPlan.ciGroup(environment: ["BUILD_TAG": "jenkins-dr-4"]) == "jenkins-jenkins-dr-4")
        #expect(ShardPlan.ciGroup(environment: ["HOME": "/root"]) == nil)
    }

    @Test("merge: the shards of one pipeline become one run in catalogue order; whole runs and other pipelines stay apart")
    func merge() throws {
        let plan = ShardPlan(catalogue: ["a", "b", "c", "d", "e"], count: 3)
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        var shards: [DrillRunResult] = []
        for index in 1...3 {
            var run = DrillRunFixtures.run(runID: "drill-s\(index)", startedAt: base.addingTimeInterval(Double(index)), seconds: 10, scenarios: plan.names(ofShard: index).map { ($0, $0 == "c" ? .failed : .passed, 2) })
            run.shard = plan.record(shard: index, group: "gitlab-7")
            shards.append(run)
        }
        let whole = DrillRunFixtures.run(runID: "drill-whole", startedAt: base.addingTimeInterval(-86400), scenarios: [("a", .passed, 1)])
        var otherPipeline = shards[0]
        otherPipeline.runID = "drill-other"
        otherPipeline.shard!.group = "gitlab-8"

        let merged = ShardedRunMerger.merge([shards[2], whole, shards[0], shards[1], shards[1], otherPipeline])
        #expect(merged.runs.count == 3, "whole run, pipeline 7 merged, pipeline 8 alone")
        let pipeline = try #require(merged.runs.first { $0.runID.hasPrefix("drill-s1") })
        #expect(pipeline.scenarios.map(\.name) == ["a", "b", "c", "d", "e"])
        #expect(pipeline.scenarios.map(\.verdict) == [.passed, .passed, .failed, .passed, .passed])
        #expect(pipeline.shard == nil)
        #expect(pipeline.startedAt == base.addingTimeInterval(1))
        #expect(pipeline.seconds == 12)
        #expect(merged.runs.first == whole)
        #expect(merged.incomplete == [ShardedRunMerger.IncompletePipeline(group: "gitlab-8", count: 3, missing: [2, 3])])
        #expect(merged.incomplete[0].sentence == "pipeline gitlab-8: shards 2/3 and 3/3 missing")

        // A retried job: the later record of the same shard wins.
        var retried = shards[1]
        retried.runID = "drill-s2-retry"
        retried.startedAt = base.addingTimeInterval(100)
        retried.scenarios = retried.scenarios.map { var s = $0; s.verdict = .passed; return s }
        let again = ShardedRunMerger.merge(shards + [retried])
        #expect(again.runs.count == 1)
        #expect(again.runs[0].scenarios.allSatisfy { $0.verdict == .passed } == !plan.names(ofShard: 3).contains("c"))
        #expect(again.incomplete.isEmpty)
    }

    @Test("history lines keep the shard record; lines without one still read")
    func shardRecordRoundTrip() throws {
        var run = DrillRunFixtures.run(startedAt: Date(timeIntervalSince1970: 1_800_000_000), scenarios: [("a", .passed, 1)])
        run.shard = ShardRecord(index: 2, count: 3, group: nil, plan: "0123456789abcdef", catalogue: ["a", "b"])
        let decoded = try JSONCoding.decoder.decode(DrillRunResult.self, from: JSONCoding.compactEncoder.encode(run))
        #expect(decoded == run)
        run.shard = nil
        let plain = try JSONCoding.decoder.decode(DrillRunResult.self, from: JSONCoding.compactEncoder.encode(run))
        #expect(plain.shard == nil)
    }
}

/// Small in-memory runs for the merge tests (the CLI test uses real drill runs).
enum DrillRunFixtures {
    static func run(runID: String = "drill-x", startedAt: Date, seconds: Double = 1, scenarios: [(String, Verdict, Double)]) -> DrillRunResult {
        let results = scenarios.map { name, verdict, seconds in
            ScenarioResult(
                name: name, file: "scenarios/\(name).yaml", description: name, tags: [], verdict: verdict,
                skippedReason: verdict == .skipped ? "not root" : nil, fixture: "minimal", scale: 0.02,
                startedAt: startedAt, seconds: seconds, checks: [CheckResult(name: "outcome", passed: verdict != .failed, message: nil)],
                steps: [], measurement: DrillMeasurement(rtoTargetSeconds: 1800, rpoTargetSeconds: 3600), log: [])
        }
        return DrillRunResult(runID: runID, toolVersion: "test", host: "h", startedAt: startedAt, finishedAt: startedAt.addingTimeInterval(seconds), seconds: seconds, scenarios: results)
    }
}

/// `pra drill run --jobs N` and the seeded templates, with the real runner and clusters.
