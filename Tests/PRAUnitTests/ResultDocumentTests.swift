import Foundation
import Testing

@testable import PRACore

/// Each command's `--json` document is one of PRACore's Codable result types; the drill runner
/// decodes them with these types. Decoding then encoding again must give the same bytes, so the
/// documents `pra` prints do not change by being read.
@Suite("--json documents decode to PRACore's result types")
struct ResultDocumentTests {
    private static let date = Date(timeIntervalSince1970: 1_764_000_000.125)

    /// Encodes `value`, decodes it as `T`, encodes that again: both encodings must be equal.
    private func roundTrip<T: Codable>(_ value: T) throws {
        let first = try JSONCoding.encoder.encode(value)
        let decoded = try JSONCoding.decoder.decode(T.self, from: first)
        let second = try JSONCoding.encoder.encode(decoded)
        #expect(String(decoding: second, as: UTF8.self) == String(decoding: first, as: UTF8.self))
    }

    @Test("backup: BackupResult, with its remote copy")
    func backup() throws {
        let remote = RemoteCopyResult(target: "ssh://backup@vault/srv/pra", archive: "a.sql.gz", manifest: "a.sql.gz.manifest.json", bytes: 1024, sha256: "ab", seconds: 0.5, deletedByRetention: [], warnings: ["w"])
        try roundTrip(BackupResult(archive: "/b/a.sql.gz", manifest: "/b/a.sql.gz.manifest.json", database: "akig", serverVersion: "17.2", startedAt: Self.date, finishedAt: Self.date, seconds: 1.25, compressedBytes: 10, uncompressedBytes: 20, sha256: "cd", tableCount: 45, totalRows: 1000, deletedByRetention: ["old.sql.gz"], warnings: [], remoteCopy: remote, remoteCopyError: nil))
    }

    @Test("restore: RestoreResult keeps its verdict, phases and checks")
    func restore() throws {
        var result = RestoreResult(targetDatabase: "akig_restore", startedAt: Self.date)
        result.archive = "/b/a.sql.gz"
        result.phases = [.init(name: "load", seconds: 2.5)]
        result.checks = [.init(name: "integrity", passed: true, message: "row counts match")]
        try roundTrip(result)
        let decoded = try JSONCoding.decoder.decode(RestoreResult.self, from: JSONCoding.encoder.encode(result))
        #expect(decoded.succeeded)
        #expect(decoded.checks.first?.name == "integrity")
        var failed = RestoreResult(targetDatabase: "x", startedAt: Self.date)
        failed.failure = "no backup"
        try roundTrip(failed)
    }

    @Test("verify: VerificationReport of VerificationResults")
    func verify() throws {
        var bad = VerificationResult(archive: "/b/a.sql.gz")
        bad.problems = [.init(kind: .truncated, message: "truncated")]
        let report = VerificationReport(archives: [VerificationResult(archive: "/b/b.sql.gz"), bad])
        #expect(!report.valid)
        try roundTrip(report)
    }

    @Test("status: StatusReport keeps its level")
    func status() throws {
        let report = StatusReport(checkedAt: Self.date, checks: [.init(name: "backup age", level: .warning, message: "old", value: 5000)])
        try roundTrip(report)
        #expect(try JSONCoding.decoder.decode(StatusReport.self, from: JSONCoding.encoder.encode(report)).level == .warning)
    }

    @Test("a failure: OperationFailureReport")
    func failure() throws {
        try roundTrip(OperationFailureReport(OperationFailure(stage: "connect", message: "refused", sqlState: "08001")))
        let document = String(decoding: try JSONCoding.encoder.encode(OperationFailureReport(OperationFailure(stage: "dump", message: "x"))), as: UTF8.self)
        #expect(document.contains("\"ok\" : false") && !document.contains("sqlState"))
    }
}
