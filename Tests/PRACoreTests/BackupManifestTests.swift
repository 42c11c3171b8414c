import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// A manifest from the future or disagreeing with its archive's size is no backup; out-of-range fields are named.

@Suite("backup manifest: validated before it is believed", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct BackupManifestTests {

    @Test("a manifest from the future or disagreeing with its archive's size is no backup; out-of-range fields are named")
    func implausibleManifests() throws {
        let database = try TestEnvironment.fixtureDatabase("future", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("future")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        let name = BackupArchiveName(prefix: database, timestamp: Date())
        let archive = directory + "/" + name.fileName
        try Data().write(to: URL(fileURLWithPath: archive))
        let far = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01
        let manifest = BackupManifest(database: database, serverVersion: "15", pgDumpVersion: "15", startedAt: far, finishedAt: far, archive: name.fileName, compressedBytes: 0, uncompressedBytes: 0, sha256: String(repeating: "0", count: 64), compressionLevel: 6, snapshot: "x", tables: [])
        try manifest.encoded().write(to: URL(fileURLWithPath: archive + BackupArchiveName.manifestSuffix))
        let report = try StatusOperation(configuration: configuration).run()
        let age = try #require(report.checks.first { $0.name == "backup age" })
        #expect(age.level == .critical, "\(age.message)")
        #expect(age.message.contains("future"), "\(age.message)")
        #expect(!age.message.contains(" -"), "\(age.message)")

        // A real, fresh backup, then its archive shrinks: not a backup any more.
        let backup = try BackupOperation(configuration: configuration).run()
        #expect(try StatusOperation(configuration: configuration).run().checks.first { $0.name == "backup age" }?.level == .ok)
        try FileManager.default.removeItem(atPath: archive)
        try FileManager.default.removeItem(atPath: archive + BackupArchiveName.manifestSuffix)
        #expect(truncate(backup.archive, 10) == 0)
        let shrunk = try #require(try StatusOperation(configuration: configuration).run().checks.first { $0.name == "backup age" })
        #expect(shrunk.level == .critical, "\(shrunk.message)")
        #expect(shrunk.message.contains("10 bytes"), "\(shrunk.message)")

        // Numbers out of range: "manifest invalid: field X", not "not JSON".
        var json = String(decoding: manifest.encoded(), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"compressedBytes\" : 0", with: "\"compressedBytes\" : -5")
        let path = directory + "/range.manifest.json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ArchiveError.self) { try BackupManifest.load(path: path) }
        #expect(error?.description.contains("manifest invalid: field compressedBytes") == true, "\(error?.description ?? "")")
        json = json.replacingOccurrences(of: "\"compressedBytes\" : -5", with: "\"compressedBytes\" : 1e400")
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let huge = #expect(throws: ArchiveError.self) { try BackupManifest.load(path: path) }
        #expect(huge?.description.contains("not JSON") == false, "\(huge?.description ?? "")")
        #expect(huge?.description.contains("manifest invalid") == true, "\(huge?.description ?? "")")
    }
}
