import Foundation
import PRACore
import PRATestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `pra activate` through the binary on the real scratch cluster: the lost database comes back
/// from its dump, a loopback load-balancer stand-in is switched by a hook (curl, an argument
/// array) and read by the health check, the team is told over a loopback Slack webhook.
@Suite("pra activate: the emergency plan from backups", .requires(.postgresServer))
struct ActivationTests {
    /// The load balancer stand-in: `/switch` points it at the recovered database; `/health`
    /// answers 200 only once switched (503 before: traffic still goes to the lost server).
    final class LoadBalancer: @unchecked Sendable {
        private let lock = NSLock()
        private var switches = 0
        /// Seconds the next `/health` answer waits (to catch an activation in verification). The
        /// stand-in answers one request at a time: keep it below HEALTH_TIMEOUT, as the resumed
        /// run's probe waits behind the killed run's.
        private var healthDelay: Double = 0
        var server: LoopbackHTTPServer!

        init(healthDelay: Double = 0) throws {
            self.healthDelay = healthDelay
            server = try LoopbackHTTPServer { [unowned self] path in self.answer(path) }
        }

        private func answer(_ path: String) -> Int {
            lock.lock()
            if path.hasPrefix("/switch") { switches += 1 }
            let switched = switches > 0
            let delay = path.hasPrefix("/health") ? healthDelay : 0
            if path.hasPrefix("/health") { healthDelay = 0 }
            lock.unlock()
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            return path.hasPrefix("/switch") || switched ? 200 : 503
        }

        var switchCount: Int {
            lock.lock()
            defer { lock.unlock() }
            return switches
        }

        func url(_ path: String) -> String { server.url(path) }
    }

    struct Setup {
        let database: String
        let directory: String
        var environment: [String: String]
        let hooksFile: String
        var reportDirectory: String { directory + "/backups/reports" }
        var stateFile: String { reportDirectory + "/activation-state.json" }
    }

    /// A fixture database with one dump, hooks that switch `balancer`, the health URL behind it.
    func setUp(_ label: String, balancer: LoadBalancer, slack: LoopbackHTTPServer? = nil, extraHooks: [[String]] = []) throws -> Setup {
        let database = try TestEnvironment.fixtureDatabase(label, scale: 0.02)
        let directory = TestEnvironment.temporaryDirectory(label)
        let hooksFile = directory + "/hooks.json"
        var environment = TestEnvironment.environment(database: database, backupDirectory: directory + "/backups", extra: [
            "CRITICAL_TABLES": "users,payments", "APP_HEALTH_URL": balancer.url("/health"), "ACTIVATION_HOOKS_FILE": hooksFile, "RESTORE_DB": database,
        ])
        if let slack { environment["SLACK_WEBHOOK"] = slack.url("/services/T/B/activation") }
        try writeHooks(hooksFile, [["/usr/bin/curl", "-sf", "-o", "/dev/null", balancer.url("/switch")]] + extraHooks)
        let backup = try PraBinary.run(["backup", "--full"], environment: environment)
        try #require(backup.exitCode == 0, "\(backup.stderr)")
        return Setup(database: database, directory: directory, environment: environment, hooksFile: hooksFile)
    }

    func writeHooks(_ path: String, _ commands: [[String]]) throws {
        let hooks = commands.enumerated().map { index, command in ["name": index == 0 ? "load balancer" : "hook\(index + 1)", "command": command, "timeout": "60s"] as [String: Any] }
        try JSONSerialization.data(withJSONObject: ["hooks": hooks]).write(to: URL(fileURLWithPath: path))
    }

    /// The disaster: the database is gone.
    func lose(_ database: String) throws {
        _ = try TestEnvironment.psql("DROP DATABASE \(PostgresConnection.quoteIdentifier(database)) WITH (FORCE)", database: "postgres")
    }

    /// The server's databases whose name starts with `prefix` (other tests share the cluster).
    func databases(_ prefix: String = "") throws -> [String] {
        try TestEnvironment.psql("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database", database: "postgres")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { $0.hasPrefix(prefix) }
    }

    /// Restores recorded in the evidence log: one per restore that ran to its end.
    func restoreCount(_ setup: Setup) throws -> Int {
        try EvidenceLog(path: setup.reportDirectory + "/evidence.jsonl").read().records.filter { $0.kind == .restore }.count
    }

    func stage(_ setup: Setup) -> String? {
        stateField(setup, "stage") as? String
    }

    func stateField(_ setup: Setup, _ key: String) -> Any? {
        guard let data = FileManager.default.contents(atPath: setup.stateFile),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object[key]
    }

    func report(_ setup: Setup, rehearsal: Bool = false) throws -> String {
        let prefix = rehearsal ? "pra_activation_rehearsal_" : "pra_activation_report_"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: setup.reportDirectory).filter { $0.hasPrefix(prefix) && $0.hasSuffix(".txt") }.sorted().last)
        #expect(FileManager.default.fileExists(atPath: setup.reportDirectory + "/" + name.replacingOccurrences(of: ".txt", with: ".json")))
        return try String(contentsOfFile: setup.reportDirectory + "/" + name, encoding: .utf8)
    }

    @Test("the lost database comes back from its dump: preparation printed first, the hook switches the load balancer once, verification reads the health behind it, the team told at the start, each phase end and the end, the report; without --yes and a terminal refused after the preparation; once complete refused until --abandon")
    func fromBackups() throws {
        let balancer = try LoadBalancer()
        let slack = try LoopbackHTTPServer { _ in 200 }
        let setup = try setUp("activate", balancer: balancer, slack: slack)
        try lose(setup.database)

        // No terminal, no --yes: the preparation is printed, then a refusal; nothing restored.
        let unconfirmed = try PraBinary.run(["activate"], environment: setup.environment)
        #expect(unconfirmed.exitCode == 2, "\(unconfirmed.stderr)")
        #expect(unconfirmed.stderr.contains("preparation: recovery point") && unconfirmed.stderr.contains("run with --yes") && unconfirmed.stderr.contains("not confirmed"), "\(unconfirmed.stderr)")
        #expect(try databases(setup.database).isEmpty && balancer.switchCount == 0)

        let run = try PraBinary.run(["activate", "--yes"], environment: setup.environment)
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("resumed (run 2) at preparation"), "the refused run is continued: \(run.stderr)")
        #expect(run.stdout.contains("ACTIVATED within budget"), "\(run.stdout)")
        let preparation = try #require(run.stderr.range(of: "preparation: recovery point"), "\(run.stderr)")
        let restoration = try #require(run.stderr.range(of: "restoration: "))
        #expect(preparation.lowerBound < restoration.lowerBound, "the recovery point is printed before the restore")
        #expect(run.stderr.contains("data-loss window"))
        #expect(run.stderr.contains("verification: ✓ health"), "\(run.stderr)")
        #expect(balancer.switchCount == 1)
        #expect(Int(try TestEnvironment.psql("SELECT count(*) FROM users", database: setup.database)) ?? 0 > 0)
        #expect(slack.requests.count == 2 + 5, "the refused run: start and end; then start, three phase ends, the end: \(slack.requestedPaths)")
        let text = try report(setup)
        for expected in ["Verdict:        ACTIVATED within budget", "preparation ", "of 5m00s", "restoration ", "of 15m00s", "verification ", "of 10m00s", "✓ load balancer", "✓ row counts", "Recovery point: recovery point "] {
            #expect(text.contains(expected), "report lacks \(expected):\n\(text)")
        }
        #expect(stage(setup) == "activated")
        #expect(try restoreCount(setup) == 1)

        let again = try PraBinary.run(["activate", "--yes"], environment: setup.environment)
        #expect(again.exitCode == 2)
        #expect(again.stderr.contains("already complete") && again.stderr.contains("--abandon"), "\(again.stderr)")
        #expect(try restoreCount(setup) == 1 && balancer.switchCount == 1, "a refused run restores and switches nothing")
        let abandon = try PraBinary.run(["activate", "--abandon"], environment: setup.environment)
        #expect(abandon.exitCode == 0 && abandon.stdout.contains("abandoned activation"), "\(abandon.stdout)\(abandon.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.stateFile))
    }

    @Test("--dry-run prints the recovery point and data-loss window, restores into a scratch database and removes it, prints the hooks: the live server's databases, the load balancer and the state are untouched")
    func dryRun() throws {
        let balancer = try LoadBalancer()
        let setup = try setUp("rehearse", balancer: balancer)
        let before = try databases(setup.database)
        #expect(before == [setup.database])
        let run = try PraBinary.run(["activate", "--dry-run"], environment: setup.environment)
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("REHEARSAL PASSED"), "\(run.stdout)")
        let point = try #require(run.stderr.range(of: "preparation: recovery point"), "\(run.stderr)")
        let restore = try #require(run.stderr.range(of: "restoration: "))
        #expect(point.lowerBound < restore.lowerBound)
        #expect(run.stderr.contains("data-loss window"))
        #expect(run.stderr.contains("rehearsal: would run switch hook 1 (load balancer)"), "\(run.stderr)")
        #expect(run.stderr.contains("_pra_rehearsal_") && run.stderr.contains("dropped"), "\(run.stderr)")
        #expect(try databases(setup.database) == before, "the live database is there, no scratch database is left")
        #expect(balancer.switchCount == 0 && balancer.server.requests.isEmpty, "no hook ran, no health URL was probed")
        #expect(!FileManager.default.fileExists(atPath: setup.stateFile), "a rehearsal writes no activation state")
        #expect(try report(setup, rehearsal: true).contains("REHEARSAL PASSED"))
    }

    @Test("a failing switch hook stops the activation, the report says where; fixed and run again, it continues with that hook: no second restore, the first hook not run again")
    func failingHook() throws {
        let balancer = try LoadBalancer()
        let setup = try setUp("hookfail", balancer: balancer, extraHooks: [["/bin/false"], ["/usr/bin/curl", "-sf", "-o", "/dev/null", balancer.url("/switch-dns")]])
        try lose(setup.database)
        let run = try PraBinary.run(["activate", "--yes"], environment: setup.environment)
        #expect(run.exitCode == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("switch hook 2 (hook2) failed"), "\(run.stderr)")
        #expect(balancer.switchCount == 1, "hook 3 never ran")
        #expect(stage(setup) == "switching")
        let text = try report(setup)
        #expect(text.contains("switched up to hook 1 (load balancer), hook 2 failed"), "\(text)")
        #expect(text.contains("✗ hook2") && text.contains("Verification\n  (not run)"), "\(text)")

        try writeHooks(setup.hooksFile, [["/usr/bin/curl", "-sf", "-o", "/dev/null", balancer.url("/switch")], ["/bin/true"], ["/usr/bin/curl", "-sf", "-o", "/dev/null", balancer.url("/switch-dns")]])
        let resumed = try PraBinary.run(["activate", "--yes"], environment: setup.environment)
        #expect(resumed.exitCode == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("continuing with switch hook 2 of 3"), "\(resumed.stderr)")
        #expect(balancer.switchCount == 2, "hooks 2 and 3 ran, hook 1 not again")
        #expect(try restoreCount(setup) == 1, "never a second restore")
        #expect(try report(setup).contains("(2 runs: resumed after an interruption)"))
    }

    @Test("a hook's output goes into the report; a hook that outlives its timeout is stopped and stops the activation, the report saying so")
    func hookOutputAndTimeout() throws {
        let balancer = try LoadBalancer()
        let setup = try setUp("hooktime", balancer: balancer)
        try lose(setup.database)
        let hooks: [[String: Any]] = [["name": "announce", "command": ["/bin/echo", "pool db switched to the recovered server"]],
                                      ["name": "slow dns", "command": ["/bin/sleep", "30"], "timeout": "1s"]]
        try JSONSerialization.data(withJSONObject: ["hooks": hooks]).write(to: URL(fileURLWithPath: setup.hooksFile))
        let started = Date()
        let run = try PraBinary.run(["activate", "--yes"], environment: setup.environment)
        #expect(run.exitCode == 1, "\(run.stdout)\(run.stderr)")
        #expect(Date().timeIntervalSince(started) < 25, "the slow hook was stopped at its timeout")
        #expect(run.stderr.contains("switch hook 2 (slow dns) failed: timed out after 1.0s"), "\(run.stderr)")
        let text = try report(setup)
        #expect(text.contains("✓ announce") && text.contains("stdout | pool db switched to the recovered server"), "\(text)")
        #expect(text.contains("✗ slow dns") && text.contains("timed out"), "\(text)")
    }

    @Test("kill -9 of pra activate during the restore, a switch hook or verification, then pra activate again: one completed restore, no switch before it, the first hook once, the report states the phase reached",
          arguments: ["restoring", "switching", "verifying"])
    func killedAndResumed(_ killAt: String) throws {
        let balancer = try LoadBalancer(healthDelay: killAt == "verifying" ? 3 : 0)
        let slowHook = killAt == "switching" ? [["/bin/sleep", "30"]] : []
        let setup = try setUp("actkill", balancer: balancer, extraHooks: slowHook)
        try lose(setup.database)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: PraBinary.path)
        process.arguments = PraBinary.sealed(["activate", "--yes"])
        process.environment = setup.environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(240)
        // In the switch: once the first hook (the load balancer) is done and the slow second one runs.
        func reached() -> Bool { stage(setup) == killAt && (killAt != "switching" || (stateField(setup, "hooksCompleted") as? Int) == 1) }
        while !reached() && process.isRunning && Date() < deadline { usleep(2_000) }
        try #require(reached(), "pra activate never reached \(killAt) (stage \(stage(setup) ?? "none"))")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        if killAt == "restoring" { #expect(balancer.switchCount == 0, "no switch before a verified restore") }
        let restoresBefore = try restoreCount(setup)

        if killAt == "switching" { try writeHooks(setup.hooksFile, [["/usr/bin/curl", "-sf", "-o", "/dev/null", balancer.url("/switch")], ["/bin/true"]]) }
        let resumed = try PraBinary.run(["activate", "--yes"], environment: setup.environment)
        #expect(resumed.exitCode == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("resumed (run 2) at "), "\(resumed.stderr)")
        #expect(try restoreCount(setup) == 1, "one completed restore (\(restoresBefore) before the resume)")
        #expect(balancer.switchCount == 1, "the load balancer was switched once")
        #expect(stage(setup) == "activated")
        let text = try report(setup)
        #expect(text.contains("(2 runs: resumed after an interruption)") && text.contains("resumed (run 2) at \(killAt == "restoring" ? "restoration" : killAt == "switching" ? "restoration" : "verification")"), "\(text)")
    }

    @Test("kill -9 of pra activate in preparation, waiting for ACTIVATE on a terminal (a pseudo-terminal), then pra activate again: nothing restored or switched by the killed run, the rerun says it resumed at preparation, one restore, one switch, the report states the phase reached")
    func killedInPreparation() throws {
        let balancer = try LoadBalancer()
        let setup = try setUp("actkillprep", balancer: balancer)
        try lose(setup.database)

        // A real terminal for the confirmation: pra asks on it and waits, as on the worst day.
        // (posix_openpt is not in Swift's Glibc module: the multiplexer and its two ioctls, as it does.)
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0, "no pseudo-terminal multiplexer: \(String(cString: strerror(errno)))")
        defer { close(master) }
        var unlock: CInt = 0
        var number: CUnsignedInt = 0
        let TIOCSPTLCK: UInt = 0x4004_5431, TIOCGPTN: UInt = 0x8004_5430
        try #require(ioctl(master, TIOCSPTLCK, &unlock) == 0 && ioctl(master, TIOCGPTN, &number) == 0, "cannot unlock the pseudo-terminal: \(String(cString: strerror(errno)))")
        let slavePath = "/dev/pts/\(number)"
        let slave = open(slavePath, O_RDWR | O_NOCTTY)
        try #require(slave >= 0, "cannot open \(slavePath)")
        let errors = setup.directory + "/killed-run.stderr"
        FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PraBinary.path)
        process.arguments = PraBinary.sealed(["activate"])
        process.environment = setup.environment
        process.standardInput = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        func asking() -> Bool { ((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "").contains("Type ACTIVATE") }
        while !asking() && process.isRunning && Date() < deadline { usleep(20_000) }
        let said = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        try #require(asking(), "pra activate never asked for confirmation: \(said)")
        #expect(stage(setup) == "preparing", "the state says preparation while it waits")
        #expect(said.contains("preparation: recovery point"), "the recovery point is printed before the question: \(said)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(stage(setup) == "preparing")
        #expect(((try? restoreCount(setup)) ?? 0) == 0, "nothing restored by the killed run")
        #expect(balancer.switchCount == 0, "nothing switched by the killed run")
        #expect(try databases(setup.database).isEmpty, "the lost database is still absent: nothing was put in place")

        let resumed = try PraBinary.run(["activate", "--yes"], environment: setup.environment)
        #expect(resumed.exitCode == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("resumed (run 2) at preparation: nothing restored, nothing switched"), "\(resumed.stderr)")
        #expect(try restoreCount(setup) == 1, "one completed restore")
        #expect(balancer.switchCount == 1, "the load balancer was switched once")
        #expect(stage(setup) == "activated")
        let text = try report(setup)
        #expect(text.contains("(2 runs: resumed after an interruption)") && text.contains("resumed (run 2) at preparation"), "\(text)")
    }
}
