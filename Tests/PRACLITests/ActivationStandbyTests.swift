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
