import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// No test reads the developer's shell or the checkout's `./.env`: a `SLACK_WEBHOOK`,
/// `REMOTE_TARGET` or `RPO_TARGET` there must never send a real alert, make a real copy or change
/// a verdict. Each check has a control showing the canary does fire when the seal is left off.
@Suite("tests are sealed from the parent environment and ./.env", .serialized, .requires(.postgresServer))
struct TestEnvironmentIsolationTests {
    /// Runs `pra arguments` in `directory` (where a `.env` may lie) and waits for it.
    static func run(_ arguments: [String], in directory: String, environment: [String: String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PraBinary.path)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("a SLACK_WEBHOOK, REMOTE_TARGET, RPO_TARGET or DATABASE_URL in the parent environment reaches no test configuration and no child pra")
    func parentEnvironmentIsNotInherited() throws {
        let canary = try LoopbackHTTPServer { _ in 200 }
        defer { canary.stop() }
        let remote = TestEnvironment.temporaryDirectory("canary-remote")
        let leaked = ["SLACK_WEBHOOK": canary.url("/parent-canary"), "REMOTE_TARGET": remote, "RPO_TARGET": "1s", "ALERT_ON_SUCCESS": "true",
                      "DATABASE_URL": "postgresql://canary@canary.invalid/canary"]
        for (key, value) in leaked { setenv(key, value, 1) }
        defer { for key in leaked.keys { unsetenv(key) } }
        #expect(ProcessInfo.processInfo.environment["SLACK_WEBHOOK"] == canary.url("/parent-canary"), "the canary is in the parent environment")

        let database = try TestEnvironment.fixtureDatabase("sealed", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("sealed")
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory)
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        for key in leaked.keys {
            #expect(environment[key] == nil, "\(key) leaked into the test environment")
            #expect(configuration[key] == nil || configuration.sources[key] == .defaultValue, "\(key) leaked into the test configuration")
        }
        #expect(configuration.envFilePath == TestEnvironment.noEnvFile)
        #expect(configuration["RPO_TARGET"] == "1h")

        // A failed backup alerts on failure, a good one (ALERT_ON_SUCCESS) on success; a copy would go to REMOTE_TARGET.
        var down = environment
        down["PGPORT"] = "1"
        let failed = try PraBinary.run(["backup", "--full"], environment: down)
        #expect(failed.exitCode == 1, "\(failed.stderr)")
        let good = try PraBinary.run(["backup", "--full"], environment: environment)
        #expect(good.exitCode == 0, "\(good.stderr)")
        #expect(!good.stdout.contains("remote copy"), "\(good.stdout)")
        #expect(canary.requests.isEmpty, "the parent's SLACK_WEBHOOK received \(canary.requests.count) alerts from tests")
        #expect(try FileManager.default.contentsOfDirectory(atPath: remote).isEmpty, "the parent's REMOTE_TARGET received a copy")

        // Control: the same backup, unsealed, does reach the canary (so the check above can fail).
        let unsealed = ProcessInfo.processInfo.environment.merging(environment.filter { $0.key != "DATABASE_URL" }) { $1 }.filter { $0.key != "DATABASE_URL" }
        let control = try PraBinary.run(["backup", "--full"], environment: unsealed)
        #expect(control.exitCode == 0, "\(control.stderr)")
        #expect(canary.requests.count == 1, "unsealed, the success alert goes to the canary")
        #expect(try FileManager.default.contentsOfDirectory(atPath: remote).count == 2, "unsealed, the copy goes to REMOTE_TARGET")
    }

    @Test("a ./.env in the working directory reaches no child pra run by the tests")
    func dotEnvIsNotRead() throws {
        let canary = try LoopbackHTTPServer { _ in 200 }
        defer { canary.stop() }
        let directory = TestEnvironment.temporaryDirectory("dotenv")
        try "SLACK_WEBHOOK=\(canary.url("/dotenv-canary"))\n".write(toFile: directory + "/.env", atomically: true, encoding: .utf8)
        // No backup in BACKUP_DIR: status is CRITICAL, which alerts.
        try FileManager.default.createDirectory(atPath: directory + "/backups", withIntermediateDirectories: true)
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory + "/backups")
        let sealed = try Self.run(PraBinary.sealed(["status"]), in: directory, environment: environment)
        #expect(sealed == 1)
        #expect(canary.requests.isEmpty, "./.env was read: \(canary.requestedPaths)")

        // Control: without --env-file /dev/null the same command reads ./.env and alerts.
        let control = try Self.run(["status"], in: directory, environment: environment)
        #expect(control == 1)
        #expect(canary.requestedPaths == ["/dotenv-canary"])
    }

    @Test("a REMOTE_TARGET or S3 key in the environment of whoever starts a scratch cluster never reaches its archive_command: WAL stays in the cluster's own backup directory")
    func scratchServerIsSealed() throws {
        let remote = TestEnvironment.temporaryDirectory("sealed-server-remote")
        chmod(remote, 0o777)
        let leaked = ["REMOTE_TARGET": remote, "WAL_REMOTE_MODE": "sync", "AWS_SECRET_ACCESS_KEY": "pra-canary-aws"]
        for (key, value) in leaked { setenv(key, value, 1) }
        let server: ArchivingCluster
        do {
            defer { for key in leaked.keys { unsetenv(key) } }
            server = try ArchivingCluster(label: "sealed-server")
        }
        defer { try? server.cluster.stop(.immediate) }
        let segment = try server.switchAndWait()
        #expect(try FileManager.default.contentsOfDirectory(atPath: remote).isEmpty, "the starter's REMOTE_TARGET received WAL (\(segment))")
        let postmaster = try #require(server.cluster.postmasterPID)
        let environment = try String(contentsOfFile: "/proc/\(postmaster)/environ", encoding: .utf8)
        for key in leaked.keys { #expect(!environment.contains(key + "="), "\(key) is in the server's environment") }
    }

    @Test("library tests build configurations without ./.env: every Configuration in Tests/ names its env file")
    func libraryConfigurationsNameTheirEnvFile() throws {
        let tests = TestEnvironment.packageRoot + "/Tests"
        let files = try #require(FileManager.default.enumerator(atPath: tests)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") && !$0.hasSuffix("TestEnvironmentIsolationTests.swift") }
        #expect(files.count > 20)
        var offenders: [String] = []
        for file in files {
            let text = try String(contentsOfFile: tests + "/" + file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains("Configuration(envFile: nil") || line.contains("Configuration(environment:") || line.contains("try Configuration()") || line.contains("try? Configuration()") {
                offenders.append("\(file):\(number + 1)")
            }
        }
        #expect(offenders.isEmpty, "configurations that would read ./.env: \(offenders)")
    }
}
