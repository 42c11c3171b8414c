import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// The next backup removes partial files whose writer is gone, says so, and leaves a live writer's alone.

@Suite("partial files: removed when their writer is gone", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct PartialFileCleanupTests {

    @Test("the next backup removes partial files whose writer is gone, says so, and leaves a live writer's alone")
    func orphanedPartials() throws {
        let database = try TestEnvironment.fixtureDatabase("partial", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("partial")
        let orphan = directory + "/.\(database)_backup_full_20260101_000000.sql.gz.partial"
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: orphan))
        let live = try DurableFile(finalPath: directory + "/live.bin")
        try live.write(Data(repeating: 1, count: 10))
        var old = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
        #expect(utimes(orphan, &old) == 0)
        #expect(utimes(live.temporaryPath, &old) == 0)
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let result = try BackupOperation(configuration: configuration).run()
        #expect(!FileManager.default.fileExists(atPath: orphan))
        #expect(result.warnings.contains { $0.contains("removed") && $0.contains((orphan as NSString).lastPathComponent) }, "\(result.warnings)")
        #expect(FileManager.default.fileExists(atPath: live.temporaryPath), "a live writer's file was removed")
        live.discard()
    }
}
