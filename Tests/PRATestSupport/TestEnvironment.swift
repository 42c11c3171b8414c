import Foundation
import PRACore

/// What the integration tests share: one scratch cluster for the whole test process (each
/// test works in databases and directories of its own), temporary directories, and the
/// built `pra` binary.
public enum TestEnvironment {
    /// One cluster per test process, torn down at exit (and on interrupt).
    public static let sharedCluster: ScratchCluster = {
        do {
            let cluster = try ScratchCluster()
            _ = cleanupAtExit
            return cluster
        } catch {
            fatalError("cannot start the scratch cluster the integration tests need: \(error)")
        }
    }()

    /// Runs the registered cleanups (clusters, directories, mounts) when the test process exits or is interrupted.
    static let cleanupAtExit: Bool = {
        atexit { InterruptCleanup.shared.runAll() }
        InterruptCleanup.shared.installSignalHandlers()
        return true
    }()

    /// True when the PostgreSQL server programs are installed (initdb found).
    public static var serverAvailable: Bool {
        (try? PostgresBinaries().locate("initdb")) != nil
    }

    public static var isRoot: Bool { getuid() == 0 }

    /// A fresh directory under /tmp, removed at exit.
    public static func temporaryDirectory(_ label: String = "test") -> String {
        _ = cleanupAtExit
        var template = Array("/tmp/pra-\(label)-XXXXXX".utf8CString)
        let path = String(cString: mkdtemp(&template)!)
        InterruptCleanup.shared.register { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A unique database name for one test.
    public static func databaseName(_ label: String) -> String {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        return "\(label)_\(suffix)"
    }

    /// Loads the akig fixture into a new database of `cluster` at `scale`.
    @discardableResult
    public static func fixtureDatabase(_ label: String, scale: Double = 0.02, on cluster: ScratchCluster = sharedCluster) throws -> String {
        let name = databaseName(label)
        _ = try FixtureLoader(name: "akig", fixturesDirectory: packageRoot + "/fixtures").load(settings: cluster.connectionSettings, database: name, scale: scale)
        return name
    }

    /// Environment (process env plus cluster and directories) for a `Configuration` or a child `pra`.
    public static func environment(cluster: ScratchCluster = sharedCluster, database: String, backupDirectory: String, extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" }
        for (key, value) in cluster.environment { environment[key] = value }
        environment["PGDATABASE"] = database
        environment["BACKUP_DIR"] = backupDirectory
        environment["REPORT_DIR"] = backupDirectory + "/reports"
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// A configuration reaching `database` on `cluster`, backups in `backupDirectory`.
    public static func configuration(cluster: ScratchCluster = sharedCluster, database: String, backupDirectory: String, extra: [String: String] = [:]) throws -> Configuration {
        try Configuration(envFile: nil, environment: environment(cluster: cluster, database: database, backupDirectory: backupDirectory, extra: extra))
    }

    /// The package root (this file is Tests/PRATestSupport/TestEnvironment.swift).
    public static let packageRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = (path as NSString).deletingLastPathComponent }
        return path
    }()

    /// Runs `psql -Atc sql` against `database`, returning trimmed stdout.
    @discardableResult
    public static func psql(_ sql: String, database: String, cluster: ScratchCluster = sharedCluster) throws -> String {
        let psql = try PostgresBinaries().locate("psql")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        for (key, value) in cluster.environment { environment[key] = value }
        environment["PGDATABASE"] = database
        let outcome = try ExternalProcess(executable: psql, arguments: ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], environment: environment, timeout: 120).runChecked()
        return outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
