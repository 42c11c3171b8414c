import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

@Suite("verify catches corruption; restore falls back", .requires(.postgresServer))
struct CorruptionTests {
    static let cases: [(ArchiveCorruption, VerificationResult.Problem.Kind)] = [
        (.bitFlips(count: 1, seed: 7), .checksumMismatch),
        (.bitFlips(count: 20, seed: 42), .checksumMismatch),
        (.truncate(fraction: 0.6), .sizeMismatch),
        (.zeroBlock(fraction: 0.5, length: 4096), .checksumMismatch),
        (.appendGarbage(bytes: 100), .sizeMismatch),
        (.deleteManifest, .manifestMissing),
        (.alterManifest, .checksumMismatch),
    ]

    @Test("each corruption kind is caught by verify", arguments: cases)
    func caught(corruption: ArchiveCorruption, expected: VerificationResult.Problem.Kind) throws {
        let source = try SharedBackup.archive()
        let directory = TestEnvironment.temporaryDirectory("corrupt")
        let archive = directory + "/" + (source as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: source, toPath: archive)
        try FileManager.default.copyItem(atPath: source + BackupArchiveName.manifestSuffix, toPath: archive + BackupArchiveName.manifestSuffix)
        #expect(ArchiveVerifier().verify(archivePath: archive, manifestPath: archive + BackupArchiveName.manifestSuffix, requireManifest: true).valid)

        try corruption.apply(to: archive)
        let verdict = ArchiveVerifier().verify(archivePath: archive, manifestPath: archive + BackupArchiveName.manifestSuffix, requireManifest: true)
        #expect(!verdict.valid)
        #expect(verdict.problems.map(\.kind).contains(expected), "\(corruption): \(verdict.problems)")
        #expect(!verdict.summary.isEmpty && verdict.summary.contains("INVALID"))
    }

    @Test("drop-rows rewrites the archive consistently: verify accepts it, the restore's row counts name the table")
    func droppedRowsPassVerifyButNotRestore() throws {
        let database = try TestEnvironment.fixtureDatabase("droprows", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("droprows")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let backup = try BackupOperation(configuration: configuration).run()
        let before = try BackupManifest.load(path: backup.manifest)

        try ArchiveCorruption.dropRows(count: 3, table: "audit_log").apply(to: backup.archive)
        let after = try BackupManifest.load(path: backup.manifest)
        #expect(after.sha256 != before.sha256)
        #expect(after.tables == before.tables, "row counts stay as backed up")
        #expect(ArchiveVerifier().verify(archivePath: backup.archive, manifestPath: backup.manifest, requireManifest: true).valid, "consistent rewrite")

        let result = try RestoreOperation(configuration: configuration).run(source: .file(backup.archive), targetDatabase: database + "_r")
        #expect(!result.succeeded)
        let integrity = try #require(result.checks.first { $0.name == "integrity" })
        #expect(!integrity.passed)
        #expect(integrity.message.contains("public.audit_log"), "\(integrity.message)")

        #expect(throws: (any Error).self, "a table with too few rows is an error, not a silent no-op") {
            try ArchiveCorruption.dropRows(count: 1_000_000, table: "settings").apply(to: backup.archive)
        }
    }

    @Test("stream-level damage is caught without a manifest too", arguments: [
        ArchiveCorruption.truncate(fraction: 0.5), .appendGarbage(bytes: 10), .bitFlips(count: 3, seed: 1), .zeroBlock(fraction: 0.3, length: 8192),
    ])
    func caughtWithoutManifest(corruption: ArchiveCorruption) throws {
        let source = try SharedBackup.archive()
        let directory = TestEnvironment.temporaryDirectory("corrupt")
        let archive = directory + "/stock.sql.gz"
        try FileManager.default.copyItem(atPath: source, toPath: archive)
        try corruption.apply(to: archive)
        let verdict = ArchiveVerifier().verify(archivePath: archive, manifestPath: archive + BackupArchiveName.manifestSuffix, requireManifest: false)
        #expect(!verdict.valid, "\(corruption) went unnoticed")
    }

    @Test("restore --latest skips a corrupt newest backup and says so")
    func fallback() throws {
        let database = try TestEnvironment.fixtureDatabase("fallback", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("fallback")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let older = try BackupOperation(configuration: configuration).run()
        try TestEnvironment.psql("CREATE TABLE after_first_backup AS SELECT 1 AS x", database: database)
        let newer = try BackupOperation(configuration: configuration).run()
        try ArchiveCorruption.bitFlips(count: 4, seed: 9).apply(to: newer.archive)

        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_r")
        #expect(result.succeeded, "\(result.summary)")
        #expect(result.archive == older.archive)
        #expect(result.skippedBackups.count == 1)
        #expect(result.skippedBackups.first?.contains((newer.archive as NSString).lastPathComponent) == true)
        // The older backup predates the new table: that is the data lost.
        #expect(try TestEnvironment.psql("SELECT to_regclass('after_first_backup') IS NULL", database: database + "_r") == "t")
        // The failed verification is recorded for pra status.
        #expect(VerificationRecord.load(archivePath: newer.archive)?.valid == false)
    }

    @Test("restore --latest with every backup corrupt fails and names them")
    func noValidBackup() throws {
        let database = try TestEnvironment.fixtureDatabase("novalid", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("novalid")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let only = try BackupOperation(configuration: configuration).run()
        try ArchiveCorruption.truncate(fraction: 0.5).apply(to: only.archive)
        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_r")
        #expect(!result.succeeded)
        #expect(result.failedStage == "verify")
        #expect(result.failure?.contains("no valid backup") == true)
    }
}

/// One backup of a small fixture, made once and copied by the corruption tests.
enum SharedBackup {
    private static let made: Result<String, Error> = Result {
        let database = try TestEnvironment.fixtureDatabase("shared", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("shared")
        return try BackupOperation(configuration: try TestEnvironment.configuration(database: database, backupDirectory: directory)).run().archive
    }

    static func archive() throws -> String { try made.get() }
}
