import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

/// Issue 25, item 17: a test run left a `/tmp/pra-cluster-*` directory behind. A cluster that is
/// never torn down (the test process's shared cluster, a drill killed mid-run) is removed at exit
/// by ``ScratchCluster/forceRemove(directory:)``, which killed the postmaster alone: its backends
/// live on until they notice, a busy one keeps writing in the data directory, and the removal
/// failed on a directory that was not empty.
@Suite("scratch cluster removal at exit", .serialized, .requires(.postgresServer))
struct ScratchClusterRemovalTests {
    @Test("forceRemove leaves no directory and no server process while a backend is writing temporary files")
    func removesBusyCluster() throws {
        for round in 1...3 {
            let cluster = try ScratchCluster()
            let directory = cluster.directory
            let settings = cluster.connectionSettings
            let started = DispatchSemaphore(value: 0)
            let worker = Thread {
                guard let connection = try? PostgresConnection(settings, applicationName: "pra-test-spill") else { started.signal(); return }
                _ = try? connection.execute("SET work_mem = '64kB'")
                started.signal()
                // Sorts far more than work_mem: writes temporary files for many seconds.
                _ = try? connection.scalar("SELECT count(*) FROM (SELECT md5(g::text) FROM generate_series(1, 50000000) g ORDER BY 1) s")
            }
            worker.start()
            started.wait()
            let monitor = try PostgresConnection(settings, applicationName: "pra-test")
            let deadline = Date().addingTimeInterval(30)
            var backend: pid_t?
            var spilling = false
            while Date() < deadline && !spilling {
                backend = try monitor.scalar("SELECT pid FROM pg_stat_activity WHERE application_name = 'pra-test-spill' AND state = 'active'").flatMap { pid_t($0) }
                let temporary = cluster.dataDirectory + "/base/pgsql_tmp"
                spilling = backend != nil && !((try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []).isEmpty
                if !spilling { usleep(50_000) }
            }
            try #require(spilling, "round \(round): the backend never wrote temporary files")
            usleep(UInt32(100_000 * round))
            ScratchCluster.forceRemove(directory: directory)
            #expect(!FileManager.default.fileExists(atPath: directory), "round \(round): \(directory) left behind")
            if let backend {
                ScratchCluster.waitUntilGone(backend, seconds: 5)
                #expect(!ScratchCluster.isAlive(backend), "round \(round): backend \(backend) still running")
            }
            cluster.teardown()
        }
    }

    @Test("a postmaster.pid naming a process that does not serve the directory kills nothing; the directory is removed")
    func craftedPidFile() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer {
            // Only while unreaped: a reaped child's pid may belong to another process by now.
            if sleeper.isRunning { sleeper.terminate() }
            sleeper.waitUntilExit()
        }
        let directory = TestEnvironment.temporaryDirectory("crafted-cluster")
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try Data("\(sleeper.processIdentifier)\n\(directory)/data\n".utf8).write(to: URL(fileURLWithPath: directory + "/data/postmaster.pid"))
        ScratchCluster.forceRemove(directory: directory)
        #expect(ScratchCluster.isAlive(sleeper.processIdentifier), "forceRemove killed a process that serves no cluster")
        #expect(!FileManager.default.fileExists(atPath: directory))
    }
}
