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
}
