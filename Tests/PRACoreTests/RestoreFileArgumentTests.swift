import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// restore --file of a directory says so in a plain sentence.

@Suite("restore --file: plain errors", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct RestoreFileArgumentTests {

    @Test("restore --file of a directory says so in a plain sentence")
    func directoryAsArchive() throws {
        let directory = TestEnvironment.temporaryDirectory("dirarchive")
        let configuration = try TestEnvironment.configuration(database: "postgres", backupDirectory: directory)
        let error = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: configuration).run(source: .file(directory), targetDatabase: "never_created") }
        #expect(error?.message == "\(directory) is a directory, not an archive file", "\(error?.message ?? "")")
        let verdict = ArchiveVerifier().verify(archivePath: directory, manifestPath: nil, requireManifest: false)
        #expect(verdict.problems.first?.message.contains("is a directory") == true)
        #expect(!verdict.problems.contains { $0.message.contains("NSCocoaErrorDomain") })
    }
}
