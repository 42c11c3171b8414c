import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

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

    @Test("a clone of a stopped cluster starts with its data, on its own port and socket, and never writes to the template")
    func cloneOfStoppedCluster() throws {
        let template = try ScratchCluster()
        let seed = try PostgresConnection(template.connectionSettings, applicationName: "pra-test")
        try seed.execute("CREATE TABLE seeded AS SELECT g AS id FROM generate_series(1, 1000) AS g")
        #expect(throws: OperationFailure.self) { try ScratchCluster(cloning: template.dataDirectory) }  // still running
        try template.stop(.fast)
        let before = try Self.fileDigests(template.dataDirectory)

        let clone = try ScratchCluster(cloning: template.dataDirectory)
        let other = try ScratchCluster(cloning: template.dataDirectory)
        #expect(clone.port != template.port && clone.directory != template.directory)
        let connection = try PostgresConnection(clone.connectionSettings, applicationName: "pra-test")
        #expect(try connection.scalar("SELECT count(*) FROM seeded") == "1000")
        #expect(try connection.scalar("SELECT current_setting('data_directory')") == clone.dataDirectory)
        try connection.execute("DELETE FROM seeded WHERE id > 10")
        try connection.execute("CHECKPOINT")
        // The clones are independent of each other and of the template.
        #expect(try PostgresConnection(other.connectionSettings, applicationName: "pra-test").scalar("SELECT count(*) FROM seeded") == "1000")
        #expect(try Self.fileDigests(template.dataDirectory) == before)
        if TestEnvironment.isRoot {
            let owner = try FileManager.default.attributesOfItem(atPath: clone.dataDirectory + "/PG_VERSION")[.ownerAccountID] as? NSNumber
            #expect(owner?.intValue != 0)
        }
    }

    /// SHA-256 of every file under `directory`, by relative path.
    private static func fileDigests(_ directory: String) throws -> [String: String] {
        var digests: [String: String] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: directory))
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = directory + "/" + relative
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            digests[relative] = try FileDigest(path: path).sha256
        }
        return digests
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
