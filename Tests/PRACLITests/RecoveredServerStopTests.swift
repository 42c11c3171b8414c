import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

/// The server `restore --pitr` leaves running has a documented way to stop it: the exports end
/// with a `# stop it with:` line that works (as root too, where `pg_ctl` itself refuses), and
/// `pra cluster down --dir` given that directory deletes nothing and prints the same line.
@Suite("restore --pitr: the recovered server's stop line", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not installed"))
struct RecoveredServerStopTests {
    @Test("ServerControl.stopCommandLine: printed by restore --pitr and cluster down --dir, and it stops the server")
    func stopLine() throws {
        let server = try ArchivingCluster(label: "pitrstop")
        let base = try server.pra(["backup", "--base"])
        #expect(base.exitCode == 0, "\(base.stderr)")
        let target = server.targetDirectory("pitrstop-target")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target])
        #expect(restore.exitCode == 0, "\(restore.stdout) \(restore.stderr)")
        let prefix = "# stop it with: "
        let line = try #require(restore.stdout.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }, "\(restore.stdout)")
        #expect(line.contains("/pg_ctl -D \(target) stop"), "\(line)")
        #expect(line.hasPrefix("runuser -u ") == TestEnvironment.isRoot, "\(line)")
        let control = ServerControl(dataDirectory: target, logFile: "/dev/null", binDirectory: "", user: nil)
        let pid = try #require(control.postmasterPID)
        #expect(ScratchCluster.isAlive(pid))

        // cluster down: refused, nothing deleted, the same line named.
        var environment = TestEnvironment.baseEnvironment()
        environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
        let down = try PraBinary.run(["cluster", "down", "--dir", target], environment: environment)
        #expect(down.exitCode == 2)
        #expect(down.stderr.contains("is a PostgreSQL data directory"), "\(down.stderr)")
        // The same command (pg_ctl of the directory's PG_VERSION, possibly by another path to it).
        let named = try #require(down.stderr.components(separatedBy: "stop its server with: ").dropFirst().first?.trimmingCharacters(in: .whitespacesAndNewlines), "\(down.stderr)")
        #expect(named.hasSuffix("/pg_ctl -D \(target) stop") && named.hasPrefix("runuser -u ") == TestEnvironment.isRoot, "\(named)")
        #expect(FileManager.default.fileExists(atPath: target + "/PG_VERSION"))
        #expect(ScratchCluster.isAlive(pid))

        // The line works as printed, through a shell.
        let stop = try ExternalProcess(executable: "/bin/sh", arguments: ["-c", line], environment: environment, timeout: 120).run()
        #expect(stop.exitCode == 0, "\(line): \(stop.standardError)")
        ScratchCluster.waitUntilGone(pid)
        #expect(!ScratchCluster.isAlive(pid))
        #expect(FileManager.default.fileExists(atPath: target + "/PG_VERSION"), "stopped, not deleted")
    }
}
