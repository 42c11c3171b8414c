import Foundation
import PRACore
import PRAHarness
import PRATestSupport
import Testing

/// The shipped catalogue, end to end, through the `pra` binary as CI runs it.
@Suite("drill catalogue end to end", .requires(.postgresServer))
struct CatalogueTests {
    /// The catalogue holds disk-full scenarios (tmpfs: root), remote copies over ssh and email alerts (curl).
    @Test("pra drill run --jobs 2 (as the main job) passes the whole catalogue, none skipped, and writes schema-valid JUnit, JSON and a history line",
          .requires(.root, .ssh, .curl, .xmllint, .junitSchema))
    func catalogue() throws {
        let reports = TestEnvironment.temporaryDirectory("catalogue")
        var environment = TestEnvironment.baseEnvironment()
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        // No wall-clock budget here (it would fail on a loaded machine, not on a regression):
        // bench/budgets.sh times the catalogue against its budget (about a minute, as the main job runs it).
        let run = try PraBinary.run(["drill", "run", TestEnvironment.packageRoot + "/scenarios", "--junit", reports + "/junit.xml", "--json", reports + "/run.json", "--history", reports + "/history.jsonl", "--jobs", "2", "--quiet"], environment: environment, timeout: 900)
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.packageRoot + "/scenarios").filter { $0.hasSuffix(".yaml") }
        #expect(run.stdout.contains("\(files.count) passed, 0 failed, 0 skipped"), "\(run.stdout)")
        let history = try String(contentsOfFile: reports + "/history.jsonl", encoding: .utf8)
        #expect(history.split(separator: "\n").count == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reports + "/run.json"))) as? [String: Any])
        let scenarios = try #require(json["scenarios"] as? [[String: Any]])
        #expect(scenarios.count == files.count)
        for scenario in scenarios {
            #expect(scenario["verdict"] as? String == "passed", "\(scenario["name"] ?? "?") is \(scenario["verdict"] ?? "?"), not passed")
        }

        let lint = try ExternalProcess(executable: "/usr/bin/xmllint", arguments: ["--noout", "--schema", TestEnvironment.junitSchema, reports + "/junit.xml"]).run()
        #expect(lint.exitCode == 0, "\(lint.standardError)")
    }

    @Test("--jobs outside 1...64 is a usage error (exit 2) that runs nothing", arguments: ["0", "65"])
    func jobsOutOfRange(_ jobs: String) throws {
        let directory = TestEnvironment.temporaryDirectory("drilljobs")
        let run = try PraBinary.run(["drill", "run", TestEnvironment.packageRoot + "/scenarios", "--jobs", jobs, "--history", directory + "/h.jsonl", "--json", directory + "/r.json", "--junit", directory + "/j.xml"], environment: TestEnvironment.baseEnvironment())
        #expect(run.exitCode == 2)
        #expect(run.stderr.contains("--jobs \(jobs) is not between 1 and 64"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/r.json"))
    }

    @Test("a failing scenario exits 1 with expected vs actual; an invalid one exits 2 naming file and line")
    func exitCodes() throws {
        let directory = TestEnvironment.temporaryDirectory("drillexit")
        try """
            name: wrong-expectation
            steps:
              - backup: {}
                expect: {outcome: failure}
            """.write(toFile: directory + "/wrong.yaml", atomically: true, encoding: .utf8)
        var environment = TestEnvironment.baseEnvironment()
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        let failed = try PraBinary.run(["drill", "run", directory + "/wrong.yaml", "--scale", "0.02", "--junit", directory + "/j.xml", "--json", directory + "/r.json", "--history", directory + "/h.jsonl", "--quiet"], environment: environment)
        #expect(failed.exitCode == 1)
        #expect(failed.stderr.contains("expected failure, got success"))
        let junit = try String(contentsOfFile: directory + "/j.xml", encoding: .utf8)
        #expect(junit.contains("<failure"))

        try "name: broken\nsteps:\n  - backup: {}\n    inject: {kind: flood}\n".write(toFile: directory + "/broken.yaml", atomically: true, encoding: .utf8)
        let invalid = try PraBinary.run(["drill", "run", directory + "/broken.yaml"], environment: environment)
        #expect(invalid.exitCode == 2)
        #expect(invalid.stderr.contains("broken.yaml:4"))
        #expect(invalid.stderr.contains("unknown fault kind \"flood\""))
        let validate = try PraBinary.run(["drill", "validate", directory + "/broken.yaml"], environment: environment)
        #expect(validate.exitCode == 2)
    }

    @Test("pra drill new writes a template that validates and runs as it is")
    func newTemplate() throws {
        let directory = TestEnvironment.temporaryDirectory("drillnew")
        var environment = TestEnvironment.baseEnvironment()
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        let made = try PraBinary.run(["drill", "new", "my-drill", "--directory", directory], environment: environment)
        #expect(made.exitCode == 0, "\(made.stderr)")
        let run = try PraBinary.run(["drill", "run", directory + "/my-drill.yaml", "--junit", directory + "/j.xml", "--json", directory + "/r.json", "--history", directory + "/h.jsonl", "--quiet"], environment: environment)
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        let list = try PraBinary.run(["drill", "list", directory], environment: environment)
        #expect(list.stdout.contains("my-drill"))
    }

    @Test("Ctrl-C during a drill stops its server and removes its cluster and work directories")
    func interrupted() throws {
        let directory = TestEnvironment.temporaryDirectory("drillint")
        try """
            name: long-wait
            steps:
              - backup: {}
              - wait: 60s
            """.write(toFile: directory + "/long.yaml", atomically: true, encoding: .utf8)
        // The drill's clusters and work directories go under this test's own TMPDIR: the checks
        // below look there only, never at /tmp, where other tests' clusters come and go.
        let temporary = directory + "/tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        // As root the cluster runs as postgres, which must reach its directory, as under /tmp.
        chmod(directory, 0o755)
        chmod(temporary, 0o1777)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PraBinary.path)
        process.arguments = PraBinary.sealed(["drill", "run", directory + "/long.yaml", "--scale", "0.02", "--junit", directory + "/j.xml", "--json", directory + "/r.json", "--history", directory + "/h.jsonl"])
        var environment = TestEnvironment.baseEnvironment()
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        environment["TMPDIR"] = temporary
        process.environment = environment
        let log = directory + "/stderr.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        // Wait until the scenario is in its long wait.
        let deadline = Date().addingTimeInterval(120)
        var text = ""
        while Date() < deadline && !text.contains("step 1 backup: ok") {
            text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            usleep(50_000)
        }
        #expect(text.contains("step 1 backup: ok"), "the drill never reached its wait step: \(text)")
        // Two clusters: the run's seeded template (stopped) and the scenario's copy of it (running).
        let clusters = try FileManager.default.contentsOfDirectory(atPath: temporary).filter { $0.hasPrefix("pra-cluster-") }.map { temporary + "/" + $0 }
        try #require(clusters.count == 2, "expected the drill's template and scenario clusters in \(temporary): \(clusters)")
        let running = clusters.filter { FileManager.default.fileExists(atPath: $0 + "/data/postmaster.pid") }
        try #require(running.count == 1, "expected one running cluster (the scenario's): \(running)")
        let cluster = running[0]
        let template = try #require(clusters.first { $0 != cluster })
        let pidText = try String(contentsOfFile: cluster + "/data/postmaster.pid", encoding: .utf8)
        let pid = try #require(pidText.split(separator: "\n").first.flatMap { pid_t($0) }, "no pid in postmaster.pid")
        #expect(ScratchCluster.isAlive(pid))
        let workDirectory = try #require(text.components(separatedBy: "work directory ").dropFirst().first?.split(separator: "\n").first.map(String.init), "the drill did not name its work directory: \(text)")
        #expect(workDirectory.hasPrefix(temporary))
        #expect(FileManager.default.fileExists(atPath: workDirectory))

        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGINT)
        #expect(!FileManager.default.fileExists(atPath: cluster), "cluster directory \(cluster) left behind")
        #expect(!FileManager.default.fileExists(atPath: template), "template directory \(template) left behind")
        #expect(!ScratchCluster.isAlive(pid), "postmaster \(pid) still running")
        #expect(!FileManager.default.fileExists(atPath: workDirectory), "work directory \(workDirectory) left behind")
        let left = try FileManager.default.contentsOfDirectory(atPath: temporary)
        #expect(left.isEmpty, "left in the drill's TMPDIR: \(left)")
    }
}
