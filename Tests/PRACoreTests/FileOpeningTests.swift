import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// pra's own files are opened O_NOFOLLOW: a link planted at their name is refused, never followed.

@Suite("lock, log and temporary files are never opened through a symbolic link", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct FileOpeningTests {

    @Test("lock, log and temporary files are never opened through a symbolic link")
    func symlinksRefused() throws {
        let database = try TestEnvironment.fixtureDatabase("symlink", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("symlink")
        let precious = TestEnvironment.temporaryDirectory("precious") + "/precious.txt"
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: precious))
        try FileManager.default.createSymbolicLink(atPath: directory + "/.pra-backup.lock", withDestinationPath: precious)
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let error = #expect(throws: OperationFailure.self) { try BackupOperation(configuration: configuration).run() }
        #expect(error?.stage == "lock")
        #expect(error?.message.contains("symbolic link") == true, "\(error?.message ?? "")")
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "keep me\n")

        let logs = TestEnvironment.temporaryDirectory("symlog")
        try FileManager.default.createSymbolicLink(atPath: logs + "/" + CommandLog.fileName(command: "backup", date: Date()), withDestinationPath: precious)
        #expect(throws: FileError.self) { try CommandLog().open(directory: logs, command: "backup") }
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "keep me\n")
    }
}
