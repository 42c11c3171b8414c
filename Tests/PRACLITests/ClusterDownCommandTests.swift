import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

// pra cluster down prints an eval-able unset line, and refuses a crafted state file naming another directory.

@Suite("pra cluster down", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct ClusterDownCommandTests {
    @Test("cluster down prints an eval-able unset line")
    func clusterDownUnsets() throws {
        let up = try PraBinary.run(["cluster", "up"], environment: ProcessInfo.processInfo.environment)
        #expect(up.exitCode == 0, "\(up.stderr)")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        for line in up.stdout.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            environment[String(pair[0])] = String(pair[1])
        }
        if let directory = environment["PRA_CLUSTER_DIR"] { TestEnvironment.removeClusterAtExit(directory) }
        let down = try PraBinary.run(["cluster", "down"], environment: environment)
        #expect(down.exitCode == 0, "\(down.stderr)")
        #expect(down.stdout.contains("unset PGHOST PGPORT PGUSER PGDATABASE PRA_CLUSTER_DIR"))
        for line in down.stdout.split(separator: "\n") {
            #expect(line.hasPrefix("#") || line.hasPrefix("unset "), "not eval-able: \(line)")
        }
    }

    @Test("cluster down refuses a crafted pra-cluster.json naming another directory")
    func clusterDownCrafted() throws {
        let bystander = TestEnvironment.temporaryDirectory("bystander")
        try Data("data\n".utf8).write(to: URL(fileURLWithPath: bystander + "/file"))
        let crafted = TestEnvironment.temporaryDirectory("crafted")
        let state = ScratchCluster.State(directory: bystander, port: 5999, binDirectory: "/usr/bin", runAsUser: nil, token: nil)
        try JSONCoding.encoder.encode(state).write(to: URL(fileURLWithPath: crafted + "/pra-cluster.json"))
        let result = try PraBinary.run(["cluster", "down", "--dir", crafted], environment: ProcessInfo.processInfo.environment)
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("names another directory"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: bystander + "/file"))
        #expect(FileManager.default.fileExists(atPath: crafted + "/pra-cluster.json"))
    }
}
