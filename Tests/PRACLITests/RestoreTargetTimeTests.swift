import Foundation
import PRACore
import PRATestSupport
import Testing

/// `pra restore --pitr --target-time` as PostgreSQL prints timestamps, echoed in UTC before
/// anything starts (issue 20, item 8). No server: the restore stops at "no base backup".
@Suite("restore --target-time: PostgreSQL's timestamps, echoed in UTC")
struct RestoreTargetTimeTests {
    @Test("a time as select now() prints it is accepted and echoed in UTC before recovery starts; a time pra cannot read is a usage error naming the forms",
          arguments: [("2026-12-01 15:01:30.702249+01", "2026-12-01T14:01:30.702249Z"), ("2026-12-01 14:01:30 UTC", "2026-12-01T14:01:30.000000Z")])
    func echoed(_ text: String, _ utc: String) throws {
        let directory = TestEnvironment.temporaryDirectory("target-time")
        try FileManager.default.createDirectory(atPath: directory + "/backups", withIntermediateDirectories: true)
        var environment = TestEnvironment.baseEnvironment()
        environment["BACKUP_DIR"] = directory + "/backups"
        environment["REPORT_DIR"] = directory + "/reports"
        environment["PGHOST"] = directory + "/no-server"
        environment["PGCONNECT_TIMEOUT"] = "2"
        let run = try PraBinary.run(["restore", "--pitr", "--target-dir", directory + "/recovered", "--target-time", text], environment: environment)
        #expect(run.stderr.contains("pra: recovering to \(utc) (UTC)"), "\(run.stderr)")
        #expect(run.exitCode == 2, "no base backup is a setup problem: \(run.stderr)")
        let bad = try PraBinary.run(["restore", "--pitr", "--target-dir", directory + "/recovered", "--target-time", "2026-12-01 14:01:30 CEST"], environment: environment)
        #expect(bad.exitCode == 2)
        #expect(bad.stderr.contains("is not a time") && bad.stderr.contains("select now()"), "\(bad.stderr)")
    }
}
