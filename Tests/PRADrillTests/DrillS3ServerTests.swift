import Foundation
import PRACore
import PRATestSupport
import Testing

/// The drill's SeaweedFS leaves nothing behind (issue 25, item 9).
@Suite("DrillS3Server: a drill run with S3 leaves TMPDIR as it found it", .requires(.postgresServer, .seaweedfs))
struct DrillS3ServerTests {
    @Test("pra drill run with an s3-target scenario: TMPDIR holds exactly what it held before (no weed.INFO/WARNING/ERROR, no gRPC sockets)")
    func tmpdirUntouched() throws {
        let directory = TestEnvironment.temporaryDirectory("drill-s3-tmpdir")
        let temporary = directory + "/tmp"
        let reports = directory + "/reports"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
        // As root the cluster runs as postgres, which must reach its directory, as under /tmp.
        chmod(directory, 0o755)
        chmod(temporary, 0o1777)
        try "already here\n".write(toFile: temporary + "/keep.txt", atomically: true, encoding: .utf8)
        try """
            name: t-s3-tmpdir
            scale: 0.02
            steps:
              - fault: {kind: s3-target}
              - backup: {}
                expect: {outcome: success, message_contains: "remote copy verified"}
            """.write(toFile: directory + "/s3.yaml", atomically: true, encoding: .utf8)
        let before = try FileManager.default.contentsOfDirectory(atPath: temporary).sorted()
        var environment = TestEnvironment.baseEnvironment()
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        environment["TMPDIR"] = temporary
        let run = try PraBinary.run(["drill", "run", directory + "/s3.yaml", "--junit", reports + "/j.xml", "--json", reports + "/r.json", "--history", reports + "/h.jsonl", "--quiet"],
                                    environment: environment, timeout: 300)
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        let after = try FileManager.default.contentsOfDirectory(atPath: temporary).sorted()
        #expect(after == before, "left in TMPDIR: \(Set(after).subtracting(before).sorted())")
    }
}
