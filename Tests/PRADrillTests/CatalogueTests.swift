import Foundation
import PRACore
import PRATestSupport
import Testing

/// The shipped catalogue, end to end, through the `pra` binary as CI runs it.
@Suite("drill catalogue end to end", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct CatalogueTests {
    @Test("pra drill run passes the whole catalogue and writes schema-valid JUnit, JSON and a history line")
    func catalogue() throws {
        let reports = TestEnvironment.temporaryDirectory("catalogue")
        var environment = ProcessInfo.processInfo.environment
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        let started = Date()
        let run = try PraBinary.run(["drill", "run", TestEnvironment.packageRoot + "/scenarios", "--junit", reports + "/junit.xml", "--json", reports + "/run.json", "--history", reports + "/history.jsonl", "--quiet"], environment: environment, timeout: 600)
        let seconds = Date().timeIntervalSince(started)
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(seconds < 300, "the catalogue took \(Int(seconds))s, over the 5-minute budget")
        #expect(run.stdout.contains("0 failed"))
        let history = try String(contentsOfFile: reports + "/history.jsonl", encoding: .utf8)
        #expect(history.split(separator: "\n").count == 1)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reports + "/run.json"))) as? [String: Any]
        #expect((json?["scenarios"] as? [Any])?.count == (try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.packageRoot + "/scenarios")).filter { $0.hasSuffix(".yaml") }.count)

        let schema = TestEnvironment.packageRoot + "/../shared/schemas/jenkins-junit.xsd"
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/xmllint") && FileManager.default.fileExists(atPath: schema) {
            let lint = try ExternalProcess(executable: "/usr/bin/xmllint", arguments: ["--noout", "--schema", schema, reports + "/junit.xml"]).run()
            #expect(lint.exitCode == 0, "\(lint.standardError)")
        }
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
        var environment = ProcessInfo.processInfo.environment
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
        var environment = ProcessInfo.processInfo.environment
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PraBinary.path)
        process.arguments = ["drill", "run", directory + "/long.yaml", "--scale", "0.02", "--junit", directory + "/j.xml", "--json", directory + "/r.json", "--history", directory + "/h.jsonl"]
        var environment = ProcessInfo.processInfo.environment
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        process.environment = environment
        let log = directory + "/stderr.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        // Wait until the scenario is in its long wait, and learn its cluster and work directory.
        let deadline = Date().addingTimeInterval(60)
        var text = ""
        while Date() < deadline && !text.contains("step 2 wait") && !text.contains("waited") {
            text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if text.contains("step 1 backup: ok") { break }
            usleep(50_000)
        }
        #expect(text.contains("step 1 backup: ok"), "the drill never reached its wait step: \(text)")
        let port = text.split(separator: "\n").first { $0.contains("cluster on port") }
            .flatMap { $0.components(separatedBy: "cluster on port ").last?.split(separator: ",").first }.map(String.init)
        let workDirectory = text.components(separatedBy: "work directory ").last?.split(separator: "\n").first.map(String.init)
        let clusters = try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("pra-cluster-") }.filter { name in
            ((try? String(contentsOfFile: "/tmp/\(name)/pra-cluster.json", encoding: .utf8)) ?? "").contains("\"port\" : \(port ?? "-")")
        }
        #expect(clusters.count == 1, "cannot find the drill's cluster (port \(port ?? "?"))")
        let pid = clusters.first.flatMap { try? String(contentsOfFile: "/tmp/\($0)/data/postmaster.pid", encoding: .utf8) }?.split(separator: "\n").first.flatMap { pid_t($0) }

        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGINT)
        for cluster in clusters {
            #expect(!FileManager.default.fileExists(atPath: "/tmp/" + cluster), "cluster directory \(cluster) left behind")
        }
        if let pid { #expect(!ScratchCluster.isAlive(pid), "postmaster \(pid) still running") }
        if let workDirectory { #expect(!FileManager.default.fileExists(atPath: workDirectory), "work directory \(workDirectory) left behind") }
    }
}
