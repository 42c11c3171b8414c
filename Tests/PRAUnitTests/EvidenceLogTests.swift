import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The evidence log's line format: records round trip, and a damaged or impossible line is
/// skipped and named, never fatal.
@Suite("EvidenceLog: JSON lines of restore and status evidence")
struct EvidenceLogTests {
    static func sample(at seconds: Double, reachable: Bool = true) -> EvidenceRecord {
        EvidenceRecord(at: Date(timeIntervalSince1970: seconds), host: "db1", database: "akig",
                       status: StatusSample(reachable: reachable, level: reachable ? .ok : .critical, backupAgeSeconds: 600, walAgeSeconds: 5, offSiteAgeSeconds: 30, archiverFailing: false, databaseSizeBytes: 1_000_000))
    }

    @Test("records round trip; a truncated line, a foreign line and an impossible one are skipped by number")
    func roundTripAndDamage() throws {
        let directory = TestEnvironment.temporaryDirectory("evidence")
        let log = EvidenceLog(path: directory + "/evidence.jsonl")
        let restore = EvidenceRecord(at: Date(timeIntervalSince1970: 1_000), host: "db1", database: "akig", restore: RestoreEvidence(
            method: .pointInTime, source: .offSite, target: "/srv/recovered", backup: "base_20261206_000000", recoveryPoint: Date(timeIntervalSince1970: 990), recoveryPointAgeSeconds: 10, sizeBytes: 5_000_000, seconds: 42.5,
            phases: [.init(name: "extract", seconds: 30), .init(name: "recover", seconds: 12.5)], checks: [.init(name: "critical tables", passed: true, message: "users, payments")], succeeded: true, failure: nil))
        try log.append(Self.sample(at: 900))
        try log.append(restore)
        // A writer killed mid-line, then a line from something else, then an impossible record.
        let handle = try #require(FileHandle(forWritingAtPath: log.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"schemaVersion\":1,\"kind\":\"sta".utf8))
        try handle.close()
        try log.append(Self.sample(at: 1_200))
        var impossible = Self.sample(at: 1_300)
        impossible.schemaVersion = 99
        try log.append(impossible)
        let (records, skipped) = try log.read()
        #expect(records == [Self.sample(at: 900), restore, Self.sample(at: 1_200)])
        #expect(skipped.map(\.number) == [3, 5], "\(skipped)")
        #expect(skipped.last?.reason.contains("schema version 99") == true)
        #expect(records[0].status?.recoverablePointAgeSeconds == 5)
    }
}
