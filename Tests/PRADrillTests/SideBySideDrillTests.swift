import Foundation
import PRACore
import PRADrill
import PRADrillResults
import PRATestSupport
import Testing

@Suite("drills side by side", .requires(.postgresServer))
struct SideBySideDrillTests {
    private static func scenario(_ name: String, archiving: Bool = false) throws -> Scenario {
        try DrillHarness.parse("""
            name: \(name)
            \(archiving ? "archiving: {archive_timeout: 1s}\n" : "")steps:
              - backup: {\(archiving ? "kind: base" : "")}
              - wait: 2s
              - verify: {}
            """)
    }

    @Test("--jobs 2 runs scenarios at the same time, reports them in catalogue order, seeds each template once")
    func twoAtATime() throws {
        var options = DrillHarness.options()
        options.jobs = 2
        // The archiving scenario's server (the postgres user when root) writes below the work root.
        chmod(options.workRoot, 0o755)
        let names = ["side-a", "side-b", "side-c"]
        let scenarios = try names.map { try Self.scenario($0) } + [try Self.scenario("side-archiving", archiving: true)]
        let run = DrillRunner(options: options).run(scenarios)
        #expect(run.scenarios.map(\.name) == names + ["side-archiving"])
        #expect(run.jobs == 2)
        for result in run.scenarios {
            #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
            #expect(result.log.contains { $0.contains("(a copy of the run's template, seeded once in") }, "\(result.log)")
        }
        // One template per seed: plain clusters, and 1 MiB WAL segments for archiving.
        let seedings = run.scenarios.flatMap(\.log).filter { $0.contains("once for every scenario that uses it") }
        #expect(seedings.count == 2, "\(seedings)")
        // Two of them ran at the same time: their [start, end] intervals overlap.
        let intervals = run.scenarios.map { ($0.startedAt, $0.startedAt.addingTimeInterval($0.seconds)) }
        let overlapping = intervals.indices.contains { i in
            intervals.indices.contains { j in i != j && intervals[i].0 < intervals[j].0 && intervals[j].0 < intervals[i].1 }
        }
        #expect(overlapping, "\(intervals)")
        // And the whole run took less than the scenarios one after another.
        #expect(run.seconds < run.scenarios.map(\.seconds).reduce(0, +))
    }

    @Test("one at a time by default: no overlap and no jobs in the record")
    func oneAtATime() throws {
        let run = DrillRunner(options: DrillHarness.options()).run([try Self.scenario("seq-a"), try Self.scenario("seq-b")])
        #expect(run.jobs == nil)
        #expect(run.scenarios.allSatisfy { $0.verdict == .passed })
        let (first, second) = (run.scenarios[0], run.scenarios[1])
        #expect(first.startedAt.addingTimeInterval(first.seconds) <= second.startedAt)
    }
}
