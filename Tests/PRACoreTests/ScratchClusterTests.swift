import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("scratch cluster", .serialized, .requires(.postgresServer))
struct ScratchClusterTests {
    @Test("start, query, stop fast, restart, crash, restart, teardown removes everything")
    func lifecycle() throws {
        let cluster = try ScratchCluster()
        let directory = cluster.directory
        #expect(cluster.isRunning)
        let connection = try PostgresConnection(cluster.connectionSettings, applicationName: "pra-test")
        #expect(try connection.scalar("SELECT 40 + 2") == "42")
        if TestEnvironment.isRoot {
            // As root the server must run as an unprivileged user.
            #expect(try connection.scalar("SELECT current_setting('data_directory')") == cluster.dataDirectory)
            let owner = try FileManager.default.attributesOfItem(atPath: cluster.dataDirectory)[.ownerAccountID] as? NSNumber
            #expect(owner?.intValue != 0)
        }

        try cluster.stop(.fast)
        #expect(!cluster.isRunning)
        #expect(throws: PostgresError.self) { try PostgresConnection(cluster.connectionSettings, applicationName: "pra-test") }
        try cluster.start()
        #expect(try PostgresConnection(cluster.connectionSettings, applicationName: "pra-test").scalar("SELECT 1") == "1")

        let pid = try #require(cluster.postmasterPID)
        cluster.crash()
        #expect(!ScratchCluster.isAlive(pid))
        try cluster.start()  // crash recovery
        #expect(try PostgresConnection(cluster.connectionSettings, applicationName: "pra-test").scalar("SELECT 1") == "1")

        try cluster.stop(.immediate)
        #expect(!cluster.isRunning)
        try cluster.restart()
        #expect(cluster.isRunning)

        cluster.teardown()
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(!ScratchCluster.isAlive(pid))
    }

    @Test("a cluster object going out of scope is torn down")
    func deinitTearsDown() throws {
        var directory = ""
        var pid: pid_t = 0
        do {
            let cluster = try ScratchCluster()
            directory = cluster.directory
            pid = try #require(cluster.postmasterPID)
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(!ScratchCluster.isAlive(pid))
    }
}
