import Foundation
import PRACore
import PRATestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `pra activate --standby DIR` on a real archiving primary and a real warm standby: the
/// primary is lost, the standby promoted, a hook switches a loopback load-balancer stand-in
/// whose health answer comes from the promoted server itself.
@Suite("pra activate --standby: the primary lost, the warm standby promoted", .serialized, .requires(.postgresServer))
struct ActivationStandbyTests {
    /// Answers `/health` with 200 only once `/switch` was called and the server it points to
    /// (the standby's socket and port) accepts writes.
    final class Balancer: @unchecked Sendable {
        private let lock = NSLock()
        private var switches = 0
        let parameters: [String: String]
        var server: LoopbackHTTPServer!

        init(parameters: [String: String]) throws {
            self.parameters = parameters
            server = try LoopbackHTTPServer { [unowned self] path in self.answer(path) }
        }

        private func answer(_ path: String) -> Int {
            lock.lock()
            if path.hasPrefix("/switch") { switches += 1 }
            let switched = switches > 0
            lock.unlock()
            if path.hasPrefix("/switch") { return 200 }
            guard switched, let connection = try? PostgresConnection(parameters: parameters),
                  (try? connection.scalar("SELECT pg_is_in_recovery()::text")) == "false" else { return 503 }
            return 200
        }

        var switchCount: Int {
            lock.lock()
            defer { lock.unlock() }
            return switches
        }
    }

    @Test("rehearsal inspects and leaves the standby a standby; then the primary is lost and pra activate --standby promotes it: RTO ≤ 15 s including preparation, switch and verification, RPO ≤ archive_timeout + 2 s, the hook ran once, the health check passes against the promoted server")
    func promoteOnActivation() throws {
        let server = try ArchivingCluster(label: "actstandby")
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'before base' FROM generate_series(1, 3)")
        try #require(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.switchAndWait()
        let target = server.targetDirectory("actstandby-target")
        defer { server.stopRecovered(target) }
        let create = try server.pra(["standby", "create", "--target-dir", target])
        try #require(create.exitCode == 0, "\(create.stdout) \(create.stderr)")
        let record = try StandbyRecord.load(from: target)
        try StandbyTests.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'before base'", "3", on: record, server)

        let user = server.cluster.environment["PGUSER"] ?? "postgres"
        let balancer = try Balancer(parameters: ["host": record.socketDirectory, "port": "\(record.port)", "user": user, "dbname": server.database, "connect_timeout": "2"])
        let directory = TestEnvironment.temporaryDirectory("actstandby-hooks")
        let hooks = directory + "/hooks.json"
        try JSONSerialization.data(withJSONObject: ["hooks": [["name": "load balancer", "command": ["/usr/bin/curl", "-sf", "-o", "/dev/null", balancer.server.url("/switch")], "timeout": "10s"]]]).write(to: URL(fileURLWithPath: hooks))
        let extra = ["ACTIVATION_HOOKS_FILE": hooks, "APP_HEALTH_URL": balancer.server.url("/health"), "REPORT_DIR": directory + "/reports"]

        // The monthly test of the recovery environment: inspected, checked read-only, not promoted.
        let rehearsal = try server.pra(["activate", "--dry-run", "--standby", target], extra: extra)
        #expect(rehearsal.exitCode == 0, "\(rehearsal.stdout) \(rehearsal.stderr)")
        #expect(rehearsal.stderr.contains("preparation: recovery point") && rehearsal.stderr.contains("replay lag"), "\(rehearsal.stderr)")
        #expect(rehearsal.stderr.contains("a standby in recovery (rehearsal: not promoted)"), "\(rehearsal.stderr)")
        #expect(try StandbyTests.connect(record, server).scalar("SELECT pg_is_in_recovery()") == "t", "still a standby")
        #expect(balancer.switchCount == 0)

        // Writes go on until the primary is lost (immediate stop: its unarchived WAL is gone).
        let primary = try PostgresConnection(parameters: ["host": server.cluster.environment["PGHOST"] ?? "", "port": server.cluster.environment["PGPORT"] ?? "", "user": user, "dbname": server.database])
        var lastCommit = 0.0
        let writing = Date()
        while Date().timeIntervalSince(writing) < 3 {
            lastCommit = Double(try primary.scalar("INSERT INTO pitr_marker (note) VALUES ('stream') RETURNING extract(epoch FROM written)::float8") ?? "0") ?? 0
            usleep(50_000)
        }
        try server.cluster.stop(.immediate)

        let started = MonotonicClock.now()
        let activation = try server.pra(["activate", "--yes", "--standby", target], extra: extra)
        let rto = started.elapsed()
        #expect(activation.exitCode == 0, "\(activation.stdout) \(activation.stderr)")
        #expect(activation.stdout.contains("ACTIVATED within budget"), "\(activation.stdout)")
        #expect(activation.stderr.contains("restoration: promoted standby"), "\(activation.stderr)")
        #expect(activation.stderr.contains("verification: ✓ health"), "\(activation.stderr)")
        #expect(balancer.switchCount == 1, "the switch hook ran once")
        let promoted = try StandbyTests.connect(record, server)
        #expect(try promoted.scalar("SELECT pg_is_in_recovery()") == "f")
        let newest = Double(try promoted.scalar("SELECT extract(epoch FROM max(written))::float8 FROM pitr_marker WHERE note = 'stream'") ?? "0") ?? 0
        let rpo = lastCommit - newest
        print("activate --standby: RTO \(String(format: "%.2f", rto)) s (pra activate, preparation to verification), RPO \(String(format: "%.2f", rpo)) s with archive_timeout 1 s")
        #expect(rto <= 15, "RTO \(rto) s")
        #expect(rpo >= 0 && rpo <= 3, "RPO \(rpo) s: more than archive_timeout + 2 s")

        // Run again: complete, refused; never promoted twice.
        let again = try server.pra(["activate", "--yes", "--standby", target], extra: extra)
        #expect(again.exitCode == 2 && again.stderr.contains("already complete"), "\(again.stderr)")
        #expect(balancer.switchCount == 1)
    }

    @Test("a standby stopped at a gap in the archive: pra activate --standby refuses it (exit 2) naming the segment and --accept-data-loss; --accept-data-loss prints the larger data-loss window before anything and promotes it at the gap, the commits after the gap lost and the report saying so")
    func acceptDataLossAtGap() throws {
        let server = try ArchivingCluster(label: "actgap")
        try #require(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'before gap' FROM generate_series(1, 4)")
        try server.switchAndWait()
        // The writes the gap costs span seconds: the window must show them.
        sleep(3)
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('in gap')")
        let missing = try server.switchAndWait()
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('after gap')")
        try server.switchAndWait()
        let segment = try #require(WALFileName(missing))
        let file = try #require(try server.archive.find(segment))
        try FileManager.default.removeItem(atPath: file.path)

        let target = server.targetDirectory("actgap-target")
        defer { server.stopRecovered(target) }
        let create = try server.pra(["standby", "create", "--target-dir", target])
        try #require(create.exitCode == 0, "\(create.stdout) \(create.stderr)")
        let record = try StandbyRecord.load(from: target)
        try StandbyTests.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'before gap'", "4", on: record, server)
        try server.cluster.stop(.immediate)
        let reports = TestEnvironment.temporaryDirectory("actgap-reports")
        let extra = ["REPORT_DIR": reports]

        let usage = try server.pra(["activate", "--yes", "--accept-data-loss"], extra: extra)
        #expect(usage.exitCode == 2 && usage.stderr.contains("--accept-data-loss is for --standby"), "\(usage.stderr)")
        let refused = try server.pra(["activate", "--yes", "--standby", target], extra: extra)
        #expect(refused.exitCode == 2, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("cannot be promoted") && refused.stderr.contains(missing) && refused.stderr.contains("data-loss window") && refused.stderr.contains("--accept-data-loss"), "\(refused.stderr)")
        #expect(try StandbyTests.connect(record, server).scalar("SELECT pg_is_in_recovery()") == "t", "a refused activation changes nothing")

        let accepted = try server.pra(["activate", "--yes", "--standby", target, "--accept-data-loss"], extra: extra)
        #expect(accepted.exitCode == 0, "\(accepted.stdout) \(accepted.stderr)")
        let said = accepted.stderr
        let warning = try #require(said.range(of: "--accept-data-loss: the standby is promoted where it stopped, at the gap"), "\(said)")
        let restoration = try #require(said.range(of: "restoration: promoted standby"), "\(said)")
        #expect(warning.upperBound <= restoration.lowerBound, "the window is printed before the promotion")
        #expect(said.contains("promoted at the gap (--accept-data-loss): WAL segment \(missing) is missing"), "\(said)")

        let promoted = try StandbyTests.connect(record, server)
        #expect(try promoted.scalar("SELECT pg_is_in_recovery()") == "f")
        #expect(try promoted.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'before gap'") == "4")
        #expect(try promoted.scalar("SELECT count(*) FROM pitr_marker WHERE note IN ('in gap', 'after gap')") == "0")
        let state = try #require(try ActivationState.load(path: reports + "/activation-state.json"))
        #expect(state.stage == .activated)
        let window = try #require(state.recoveryPoint?.dataLossSeconds)
        print("activate --standby --accept-data-loss at a gap: data-loss window \(String(format: "%.2f", window)) s (3 s of writes after the last replayed commit)")
        #expect(window >= 3, "the data-loss window \(window) s covers the seconds of commits after the gap")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: reports).filter { $0.hasPrefix("pra_activation_report_") && $0.hasSuffix(".txt") }.sorted().last)
        let report = try String(contentsOfFile: reports + "/" + name, encoding: .utf8)
        #expect(report.contains("promoted at the gap (--accept-data-loss)") && report.contains("data-loss window"), "\(report)")
    }

    @Test("kill -9 of pra activate --standby after the promotion, in a slow second switch hook, then pra activate --standby again: it resumes at restoration, never promotes twice (same timeline, same promotion time), the first hook ran once, the report states the phase reached")
    func killedAfterPromotion() throws {
        let server = try ArchivingCluster(label: "actstkill")
        try #require(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'before base' FROM generate_series(1, 3)")
        try server.switchAndWait()
        let target = server.targetDirectory("actstkill-target")
        defer { server.stopRecovered(target) }
        try #require(try server.pra(["standby", "create", "--target-dir", target]).exitCode == 0)
        let record = try StandbyRecord.load(from: target)
        try StandbyTests.waitFor("SELECT count(*) FROM pitr_marker WHERE note = 'before base'", "3", on: record, server)
        try server.cluster.stop(.immediate)

        let user = server.cluster.environment["PGUSER"] ?? "postgres"
        let balancer = try Balancer(parameters: ["host": record.socketDirectory, "port": "\(record.port)", "user": user, "dbname": server.database, "connect_timeout": "2"])
        let directory = TestEnvironment.temporaryDirectory("actstkill-hooks")
        let hooks = directory + "/hooks.json"
        func writeHooks(_ second: [String]) throws {
            try JSONSerialization.data(withJSONObject: ["hooks": [
                ["name": "load balancer", "command": ["/usr/bin/curl", "-sf", "-o", "/dev/null", balancer.server.url("/switch")], "timeout": "10s"],
                ["name": "application", "command": second, "timeout": "60s"],
            ]]).write(to: URL(fileURLWithPath: hooks))
        }
        try writeHooks(["/bin/sleep", "30"])
        let reports = directory + "/reports"
        let stateFile = reports + "/activation-state.json"
        let extra = ["ACTIVATION_HOOKS_FILE": hooks, "APP_HEALTH_URL": balancer.server.url("/health"), "REPORT_DIR": reports]
        let environment = server.environment.merging(extra) { $1 }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: PraBinary.path)
        process.arguments = PraBinary.sealed(["activate", "--yes", "--standby", target])
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        func inSecondHook() -> Bool {
            guard let state = try? ActivationState.load(path: stateFile) else { return false }
            return state.stage == .switching && state.hooksCompleted == 1
        }
        let deadline = Date().addingTimeInterval(120)
        while !inSecondHook() && process.isRunning && Date() < deadline { usleep(5_000) }
        try #require(inSecondHook(), "pra activate --standby never reached its second switch hook")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let promotedAt = try #require(try StandbyRecord.load(from: target).promotedAt, "the killed run promoted the standby")
        // The timeline the promoted server writes on now. pg_control_checkpoint() would name the
        // old one until the end-of-recovery checkpoint, which runs after promotion, completes.
        let currentTimeline = "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"
        let timeline = try StandbyTests.connect(record, server).scalar(currentTimeline)
        #expect(balancer.switchCount == 1)

        try writeHooks(["/bin/true"])
        let resumed = try server.pra(["activate", "--yes", "--standby", target], extra: extra)
        #expect(resumed.exitCode == 0, "\(resumed.stdout) \(resumed.stderr)")
        #expect(resumed.stderr.contains("resumed (run 2) at restoration") && resumed.stderr.contains("continuing with switch hook 2 of 2"), "\(resumed.stderr)")
        #expect(try StandbyRecord.load(from: target).promotedAt == promotedAt, "never promoted twice")
        #expect(try StandbyTests.connect(record, server).scalar(currentTimeline) == timeline, "the same timeline: one promotion")
        #expect(balancer.switchCount == 1, "the first hook ran once")
        let state = try #require(try ActivationState.load(path: stateFile))
        #expect(state.stage == .activated && state.runs == 2)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: reports).filter { $0.hasPrefix("pra_activation_report_") && $0.hasSuffix(".txt") }.sorted().last)
        let report = try String(contentsOfFile: reports + "/" + name, encoding: .utf8)
        #expect(report.contains("(2 runs: resumed after an interruption)") && report.contains("resumed (run 2) at restoration"), "\(report)")
    }
}

/// `pra activate --target-dir DIR`: the lost cluster recovered to the latest archived point.
@Suite("pra activate --target-dir: point-in-time recovery of a lost cluster", .serialized, .requires(.postgresServer))
struct ActivationPointInTimeTests {
    @Test("a rehearsal recovers into DIR.pra-rehearsal-<stamp> and removes it, DIR untouched; then the cluster is lost and pra activate --target-dir DIR recovers every archived write, the server left running and verified")
    func pointInTime() throws {
        let server = try ArchivingCluster(label: "actpitr")
        try #require(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) SELECT 'after base' FROM generate_series(1, 4)")
        try server.switchAndWait()
        let target = server.targetDirectory("actpitr-target")
        defer { server.stopRecovered(target) }
        let reports = TestEnvironment.temporaryDirectory("actpitr-reports")
        let extra = ["REPORT_DIR": reports]

        let rehearsal = try server.pra(["activate", "--dry-run", "--target-dir", target], extra: extra)
        #expect(rehearsal.exitCode == 0, "\(rehearsal.stdout) \(rehearsal.stderr)")
        #expect(rehearsal.stderr.contains("preparation: recovery point") && rehearsal.stderr.contains("base backup + WAL through"), "\(rehearsal.stderr)")
        #expect(rehearsal.stderr.contains(".pra-rehearsal-") && rehearsal.stderr.contains("removed"), "\(rehearsal.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target), "the live target is untouched")
        let parent = (target as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty, "no scratch directory left")

        try server.cluster.stop(.immediate)
        let activation = try server.pra(["activate", "--yes", "--target-dir", target], extra: extra)
        #expect(activation.exitCode == 0, "\(activation.stdout) \(activation.stderr)")
        #expect(activation.stdout.contains("ACTIVATED within budget"), "\(activation.stdout)")
        #expect(activation.stderr.contains("verification: ✓ server") && activation.stderr.contains("accepts writes"), "\(activation.stderr)")
        let state = try #require(try ActivationState.load(path: reports + "/activation-state.json"))
        let recovered = try #require(state.server)
        let connection = try PostgresConnection(parameters: ["host": recovered.host ?? "", "port": "\(recovered.port ?? 0)", "user": server.cluster.environment["PGUSER"] ?? "postgres", "dbname": server.database])
        #expect(try connection.scalar("SELECT count(*) FROM pitr_marker WHERE note = 'after base'") == "4")
        #expect(state.strategy == .pointInTime && state.stage == .activated)
    }
}
