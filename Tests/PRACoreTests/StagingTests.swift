import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// A restore loads into a staging database and renames it over the target; a failed rename leaves the old target whole.

@Suite("staging: replacing a target rolls back when the rename fails", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct StagingTests {

    @Test("replacing a target whose staging rename fails rolls back to the old target intact")
    func swapRollsBack() throws {
        let database = try TestEnvironment.fixtureDatabase("swap", scale: 0.02)
        let directory = TestEnvironment.temporaryDirectory("swap")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        _ = try BackupOperation(configuration: configuration).run()
        let victim = TestEnvironment.databaseName("victim")
        try TestDatabases.markerDatabase(victim, label: "precious")
        let staging = "\(victim)__pra_restoring"

        // A session that keeps (re)connecting to the staging database holds it during the rename.
        let hog = SessionHog(settings: TestEnvironment.sharedCluster.connectionSettings.with(database: staging))
        hog.start()
        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: victim, force: true)
        let connected = hog.stop()
        #expect(connected > 0, "the hog never reached the staging database")
        #expect(try TestDatabases.exists(victim), "the old target is gone")
        if result.succeeded {
            #expect(try TestEnvironment.psql("SELECT to_regclass('marker') IS NULL", database: victim) == "t")
        } else {
            #expect(try TestEnvironment.psql("SELECT label FROM marker", database: victim) == "precious")
        }
        #expect(try !TestDatabases.exists(staging))
        #expect(try !TestDatabases.exists(victim + "__pra_old"))

        // Without the hog, the same restore replaces it.
        let again = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: victim, force: true)
        #expect(again.succeeded, "\(again.failure ?? "")")
        #expect(try TestEnvironment.psql("SELECT to_regclass('marker') IS NULL", database: victim) == "t")
    }
}

/// Keeps a session open on a database, reconnecting whenever it is dropped, until stopped.
final class SessionHog: @unchecked Sendable {
    let settings: ConnectionSettings
    private let lock = NSLock()
    private var running = true
    private var connects = 0
    private let done = DispatchSemaphore(value: 0)

    init(settings: ConnectionSettings) {
        self.settings = settings
    }

    func start() {
        Thread { [self] in
            var connection: PostgresConnection?
            while lock.withLock({ running }) {
                if let current = connection, (try? current.execute("SELECT 1")) == nil { connection = nil }
                if connection == nil, let made = try? PostgresConnection(settings, applicationName: "hog") {
                    connection = made
                    lock.withLock { connects += 1 }
                }
                usleep(5_000)
            }
            connection = nil
            done.signal()
        }.start()
    }

    func stop() -> Int {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { connects }
    }
}
