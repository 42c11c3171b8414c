import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The full backup's off-site copy is a step of ``BackupOperation`` (as for base backups): the
/// result carries the verified copy, or why it failed while the local backup stands.
@Suite("full backup: the off-site copy in the core", .requires(.postgresServer))
struct BackupOffSiteCopyTests {
    @Test("REMOTE_TARGET a directory: the archive and its manifest copied and read back; an unreachable one: remoteCopyError, the local backup complete")
    func offSiteCopy() throws {
        let database = try TestEnvironment.fixtureDatabase("offsitefull", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("offsitefull")
        let offSite = directory + "/offsite"
        try FileManager.default.createDirectory(atPath: offSite, withIntermediateDirectories: true)
        let copied = try BackupOperation(configuration: try TestEnvironment.configuration(database: database, backupDirectory: directory + "/backups", extra: ["REMOTE_TARGET": offSite])).run()
        let copy = try #require(copied.remoteCopy, "\(copied.remoteCopyError ?? "no copy and no error")")
        let name = (copied.archive as NSString).lastPathComponent
        #expect(copy.archive == name && copied.remoteCopyError == nil)
        #expect(try FileDigest(path: offSite + "/" + name).sha256 == copied.sha256)
        #expect(FileManager.default.fileExists(atPath: offSite + "/" + name + BackupArchiveName.manifestSuffix))

        let failed = try BackupOperation(configuration: try TestEnvironment.configuration(database: database, backupDirectory: directory + "/backups", extra: ["REMOTE_TARGET": "ssh://pra@127.0.0.1:1/srv/pra"])).run()
        #expect(failed.remoteCopy == nil)
        let error = try #require(failed.remoteCopyError)
        #expect(error.contains("127.0.0.1"), "\(error)")
        #expect(BackupCatalogue(directory: directory + "/backups").complete.map(\.archivePath).contains(failed.archive), "the local backup stands")
    }
}
