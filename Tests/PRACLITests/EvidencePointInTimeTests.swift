import Foundation
import PRACore
import PRATestSupport
import Testing

/// `pra restore --pitr` appends its evidence too: the base backup used, the point reached and
/// its age, the recovered cluster's size, the RTO by phase; and a recovery that fails, with why.
@Suite("evidence of point-in-time restores", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not installed"))
struct EvidencePointInTimeTests {
    @Test("pra restore --pitr: a point-in-time record (base backup, recovery point, cluster size, phases); a refused target time is a failed record")
    func pointInTimeRecords() throws {
        let server = try ArchivingCluster(label: "evpitr")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        let base = try #require(BaseBackupCatalogue(directory: server.backupDirectory).newestComplete)
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('evidence')")
        let written = try server.sql("SELECT extract(epoch FROM written)::float8 FROM pitr_marker WHERE note = 'evidence'")
        try server.switchAndWait()
        let target = server.targetDirectory("evpitr-target")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop", "--json"])
        #expect(restore.exitCode == 0, "\(restore.stdout)\(restore.stderr)")
        let result = try JSONCoding.decoder.decode(RestoreResult.self, from: Data(restore.stdout.utf8))
        #expect(result.evidenceFile == server.backupDirectory + "/reports/evidence.jsonl" && result.evidenceError == nil)

        let (records, skipped) = try EvidenceLog(path: server.backupDirectory + "/reports/evidence.jsonl").read()
        #expect(skipped.isEmpty)
        let record = try #require(records.last)
        let evidence = try #require(record.restore)
        #expect(record.database == server.database)
        #expect(evidence.method == .pointInTime && evidence.source == .local && evidence.target == target)
        #expect(evidence.backup == base.name.fileName, "\(evidence.backup ?? "nil")")
        // The point reached: the marker's commit (or later), never before it.
        let point = try #require(evidence.recoveryPoint)
        #expect(point.timeIntervalSince1970 >= (Double(written) ?? .infinity) - 0.01, "\(point)")
        #expect((evidence.recoveryPointAgeSeconds ?? -1) >= 0)
        let clusterSize = Int64(try server.sql("SELECT sum(pg_database_size(oid)) FROM pg_database")) ?? 0
        let size = try #require(evidence.sizeBytes)
        #expect(size > clusterSize / 2 && size < clusterSize * 2, "recovered \(size), source cluster \(clusterSize)")
        #expect(Set(evidence.phases.map(\.name)).isSuperset(of: ["extract", "recover", "check"]))
        #expect(abs(evidence.seconds - result.seconds) < 1e-9)
        #expect(evidence.succeeded && evidence.checks.contains { $0.name == "target" && $0.passed })

        // A target time before the oldest base backup: the restore fails, and says so in the log.
        let formatter = ISO8601DateFormatter()
        let early = server.targetDirectory("evpitr-early")
        let refused = try server.pra(["restore", "--pitr", "--target-dir", early, "--target-time", formatter.string(from: Date().addingTimeInterval(-7200))])
        #expect(refused.exitCode == 1, "\(refused.stderr)")
        let failed = try #require(try EvidenceLog(path: server.backupDirectory + "/reports/evidence.jsonl").read().records.last?.restore)
        #expect(!failed.succeeded && failed.failure?.hasPrefix("choose backup: the target") == true && failed.recoveryPoint == nil && failed.sizeBytes == nil, "\(failed)")
    }
}
