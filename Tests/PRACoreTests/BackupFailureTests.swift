import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

@Suite("backup failures are clean", .requires(.postgresServer))
struct BackupFailureTests {
    /// No temporary or partial file, and exactly `archives` archives, in `directory`.
    static func expectClean(_ directory: String, archives: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(!names.contains { $0.hasSuffix(".partial") }, "partial file left: \(names)", sourceLocation: sourceLocation)
        #expect(names.filter { $0.hasSuffix(".sql.gz") }.count == archives, "\(names)", sourceLocation: sourceLocation)
    }

    @Test("a second concurrent backup is refused, naming the holder")
    func concurrentBackupRefused() throws {
        let database = try TestEnvironment.fixtureDatabase("lock", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("lock")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        var holder: BackupLock? = try BackupLock(directory: directory)
        let error = #expect(throws: OperationFailure.self) { try BackupOperation(configuration: configuration).run() }
        #expect(error?.stage == "lock")
        #expect(error?.message.contains("already running") == true)
        #expect(error?.message.contains("pid \(getpid())") == true)
        try Self.expectClean(directory, archives: 0)
        #expect(holder != nil)
        holder = nil
        // Released: the next backup goes through.
        _ = try BackupOperation(configuration: configuration).run()
        try Self.expectClean(directory, archives: 1)
    }

    @Test("a connection killed during the dump fails cleanly, and a retry succeeds")
    func killedConnection() throws {
        let database = try TestEnvironment.fixtureDatabase("killed", scale: 0.1)
        let directory = TestEnvironment.temporaryDirectory("killed")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let killer = BackendKiller(database: database, applicationName: BackupOperation.applicationName)
        killer.start()
        let error = #expect(throws: OperationFailure.self) { try BackupOperation(configuration: configuration).run() }
        let killed = killer.stop()
        #expect(killed > 0, "the killer never found the backup's session")
        #expect(error?.stage == "dump")
        #expect(error?.message.contains("pg_dump") == true)
        try Self.expectClean(directory, archives: 0)

        _ = try BackupOperation(configuration: configuration).run()
        try Self.expectClean(directory, archives: 1)
    }

    @Test("pg_dump missing is named")
    func pgDumpMissing() throws {
        let database = try TestEnvironment.fixtureDatabase("nodump", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("nodump")
        let empty = TestEnvironment.temporaryDirectory("emptybin")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PG_BIN_DIR": empty])
        let error = #expect(throws: OperationFailure.self) { try BackupOperation(configuration: configuration).run() }
        #expect(error?.stage == "pg_dump")
        #expect(error?.message.contains("pg_dump") == true)
        #expect(error?.message.contains(empty) == true)
        try Self.expectClean(directory, archives: 0)
    }

    @Test("disk full fails cleanly; earlier backups stay intact", .requires(.root))
    func diskFull() throws {
        let database = try TestEnvironment.fixtureDatabase("diskfull", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("diskfull")
        let mount = try SmallFilesystem(at: directory, size: "1m")
        defer { mount.unmount() }
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let first = try BackupOperation(configuration: configuration).run()
        let firstSum = first.sha256

        // Grow the database well past the filesystem (hashes compress poorly).
        try TestEnvironment.psql("CREATE TABLE ballast AS SELECT g, md5(g::text) || md5((g * 7)::text) AS filler FROM generate_series(1, 100000) g", database: database)
        let error = #expect(throws: OperationFailure.self) { try BackupOperation(configuration: configuration).run() }
        #expect(error?.stage == "write")
        #expect(error?.message.contains("No space left on device") == true)
        #expect(error?.message.contains("bytes") == true)
        try Self.expectClean(directory, archives: 1)
        let verdict = ArchiveVerifier().verify(archivePath: first.archive, manifestPath: first.manifest, requireManifest: true)
        #expect(verdict.valid)
        #expect(verdict.sha256 == firstSum)
    }
}

@Suite("backup and status against a server that goes down", .serialized, .requires(.postgresServer))
struct ServerDownTests {
    @Test("backup fails at connect; status is CRITICAL; both name the server")
    func serverDown() throws {
        let cluster = try ScratchCluster()
        let database = try TestEnvironment.fixtureDatabase("down", scale: 0.01, on: cluster)
        let directory = TestEnvironment.temporaryDirectory("down")
        let configuration = try TestEnvironment.configuration(cluster: cluster, database: database, backupDirectory: directory)
        _ = try BackupOperation(configuration: configuration).run()
        #expect(try StatusOperation(configuration: configuration).run().level == .ok)

        cluster.crash()
        let error = #expect(throws: OperationFailure.self) { try BackupOperation(configuration: configuration).run() }
        #expect(error?.stage == "connect")
        #expect(error?.message.contains("cannot connect") == true)
        try BackupFailureTests.expectClean(directory, archives: 1)

        let status = try StatusOperation(configuration: configuration).run()
        #expect(status.level == .critical)
        #expect(status.checks.first { $0.name == "database" }?.level == .critical)
        #expect(status.headline.contains(cluster.directory))
    }
}

/// Terminates, as fast as it can find them, the COPY queries of sessions with a given
/// application_name: a connection killed in the middle of a dump.
final class BackendKiller: @unchecked Sendable {
    private let database: String
    private let applicationName: String
    private let lock = NSLock()
    private var running = true
    private var killed = 0
    private let done = DispatchSemaphore(value: 0)

    init(database: String, applicationName: String) {
        self.database = database
        self.applicationName = applicationName
    }

    func start() {
        Thread { [self] in
            defer { done.signal() }
            guard let connection = try? PostgresConnection(TestEnvironment.sharedCluster.connectionSettings, applicationName: "pra-test-killer") else { return }
            let deadline = Date().addingTimeInterval(60)
            while isRunning && Date() < deadline {
                let count = (try? connection.scalar("""
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE datname = $1 AND application_name = $2 AND query ILIKE 'COPY %' AND state = 'active'
                    """, [database, applicationName])) ?? nil
                if let count, let number = Int(count), number > 0 {
                    lock.lock()
                    killed += number
                    lock.unlock()
                    return
                }
                usleep(2000)
            }
        }.start()
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Stops looking; returns how many sessions were terminated.
    func stop() -> Int {
        lock.lock()
        running = false
        lock.unlock()
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return killed
    }
}

/// A size-limited tmpfs mounted over a directory (root only).
struct SmallFilesystem {
    let path: String

    init(at path: String, size: String) throws {
        self.path = path
        try ExternalProcess(executable: "/bin/mount", arguments: ["-t", "tmpfs", "-o", "size=\(size)", "pra-test-tmpfs", path]).runChecked()
    }

    func unmount() {
        _ = try? ExternalProcess(executable: "/bin/umount", arguments: [path]).run()
    }
}
