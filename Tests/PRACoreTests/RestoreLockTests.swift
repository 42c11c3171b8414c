import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// A second restore into the same target is refused while the first runs, which completes.

@Suite("restore lock: one restore per target at a time", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct RestoreLockTests {

    @Test("a second restore into the same target is refused while the first runs, which completes")
    func oneRestorePerTarget() throws {
        let database = try TestEnvironment.fixtureDatabase("twice", scale: 0.2)
        let directory = TestEnvironment.temporaryDirectory("twice")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        _ = try BackupOperation(configuration: configuration).run()
        let target = database + "_t"
        let first = RestoreThread(configuration: configuration, target: target)
        first.start()
        // Wait until the first restore loads (its staging database has a psql session).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try TestEnvironment.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = '\(target)__pra_restoring'", database: "postgres") == "0" {
            usleep(20_000)
        }
        let second = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target, force: true) }
        #expect(second?.message.contains("another restore into \(target)") == true, "\(second?.message ?? "")")
        let outcome = first.wait()
        #expect(outcome?.succeeded == true, "the first restore was disturbed: \(outcome?.failure ?? "threw")")
    }
}

/// A restore on a thread of its own.
final class RestoreThread: @unchecked Sendable {
    let configuration: Configuration
    let target: String
    private var result: RestoreResult?
    private let done = DispatchSemaphore(value: 0)

    init(configuration: Configuration, target: String) {
        self.configuration = configuration
        self.target = target
    }

    func start() {
        Thread { [self] in
            result = try? RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target, force: true)
            done.signal()
        }.start()
    }

    func wait() -> RestoreResult? {
        done.wait()
        return result
    }
}
