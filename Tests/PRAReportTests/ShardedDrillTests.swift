import Foundation
import PRACore
import PRATestSupport
import Testing

/// `pra drill run --shard I/N` in three "jobs", each with its own history, reported together by
/// `pra report --history` repeated, against one run of the same catalogue: real drills on
/// scratch clusters.
@Suite("sharded drill across parallel jobs", .requires(.postgresServer))
struct ShardedDrillTests {
    static let quickBackupYAML = """
        name: c-backup-verify
        description: A backup that verify accepts.
        steps:
          - backup: {}
          - verify: {}
            expect: {outcome: success}
        """

    /// The scenario names and verdicts of `pra report --json`, the full-drill flag and the findings.
    struct ReportSummary: Equatable {
        var verdicts: [String]
        var isFull: Bool
        var findings: [String]
    }

    static func report(histories: [String], catalogue: String, environment: [String: String], directory: String) throws -> (exitCode: Int32, summary: ReportSummary) {
        let arguments = ["report", "--json", "--scenarios", catalogue, "--html", directory + "/r.html", "--markdown", directory + "/r.md"] + histories.flatMap { ["--history", $0] }
        let result = try PraBinary.run(arguments, environment: environment)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let report = try #require(document["report"] as? [String: Any])
        let scenarios = try #require(report["scenarios"] as? [[String: Any]])
        let point = try #require(report["latestPoint"] as? [String: Any])
        let findings = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        return (result.exitCode, ReportSummary(verdicts: scenarios.map { "\($0["name"]!)=\($0["verdict"]!)" }, isFull: point["isFull"] as? Bool ?? false, findings: findings))
    }

    @Test("--shard over N=3 runs every scenario exactly once; the merged report has a single run's verdicts")
    func shardsEqualOneRun() throws {
        let directory = TestEnvironment.temporaryDirectory("sharded-drill")
        let catalogue = directory + "/scenarios"
        try FileManager.default.createDirectory(atPath: catalogue, withIntermediateDirectories: true)
        let yamls = [ComplianceFixtures.recoverYAML.replacingOccurrences(of: "heartbeats_per_second: 10", with: "heartbeats_per_second: 5"), ComplianceFixtures.wrongExpectationYAML, Self.quickBackupYAML]
        for (index, yaml) in yamls.enumerated() {
            try yaml.write(toFile: "\(catalogue)/s\(index).yaml", atomically: true, encoding: .utf8)
        }
        var environment = TestEnvironment.baseEnvironment()
        environment["REPORT_DIR"] = directory + "/reports"
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"

        let single = try PraBinary.run(["drill", "run", catalogue, "--scale", "0.02", "--quiet", "--history", directory + "/single.jsonl"], environment: environment)
        #expect(single.exitCode == 1, "c-wrong-expectation fails by design: \(single.stderr)")

        var histories: [String] = []
        var ran: [String] = []
        for index in 1...3 {
            let history = directory + "/job\(index)/history.jsonl"
            histories.append(history)
            let job = try PraBinary.run(["drill", "run", catalogue, "--scale", "0.02", "--shard", "\(index)/3", "--group", "pipeline-42", "--history", history, "--json", directory + "/job\(index)/run.json", "--junit", directory + "/job\(index)/junit.xml"], environment: environment)
            #expect([0, 1].contains(job.exitCode), "\(job.stderr)")
            #expect(job.stderr.contains("shard \(index)/3 (plan "), "\(job.stderr)")
            let run = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/job\(index)/run.json"))) as? [String: Any])
            let shard = try #require(run["shard"] as? [String: Any])
            #expect(shard["index"] as? Int == index && shard["count"] as? Int == 3 && shard["group"] as? String == "pipeline-42")
            ran += (run["scenarios"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }
        #expect(ran.sorted() == ["c-backup-verify", "c-recover", "c-wrong-expectation"], "every scenario exactly once")

        let one = try Self.report(histories: [directory + "/single.jsonl"], catalogue: catalogue, environment: environment, directory: directory)
        let merged = try Self.report(histories: histories, catalogue: catalogue, environment: environment, directory: directory)
        #expect(one.summary.verdicts == ["c-recover=passed", "c-wrong-expectation=failed", "c-backup-verify=passed"])
        #expect(merged.summary.verdicts == one.summary.verdicts)
        #expect(merged.summary.isFull && one.summary.isFull)
        #expect(merged.exitCode == one.exitCode)
        #expect(merged.exitCode == 1)

        // A job's history missing: named, and its scenarios count as not run.
        let partial = try Self.report(histories: Array(histories.dropLast()), catalogue: catalogue, environment: environment, directory: directory)
        #expect(!partial.summary.isFull)
        #expect(partial.summary.findings.contains { $0.contains("pipeline pipeline-42: shard 3/3 missing") }, "\(partial.summary.findings)")

        let bad = try PraBinary.run(["drill", "run", catalogue, "--shard", "4/3"], environment: environment)
        #expect(bad.exitCode == 2)
        #expect(bad.stderr.contains("--shard 4/3 is not I/N"))
    }
}
