import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// Restore reports written in the same second never collide.

@Suite("restore reports: unique names", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct RestoreReportTests {

    @Test("restore reports written in the same second never collide")
    func reportNames() throws {
        let directory = TestEnvironment.temporaryDirectory("reports")
        let started = Date()
        var paths: Set<String> = []
        for index in 0..<3 {
            var result = RestoreResult(targetDatabase: "t\(index)", startedAt: started)
            result.failure = "attempt \(index)"
            paths.insert(try RestoreReport(result: result).write(to: directory))
        }
        #expect(paths.count == 3)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("pra_restore_report_") }
        #expect(files.count == 3, "\(files)")
        #expect(!files.contains { $0.hasSuffix(".partial") })
    }
}
