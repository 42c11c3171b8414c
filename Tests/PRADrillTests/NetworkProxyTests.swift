import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRADrill

/// The drill's network proxy against the real scratch server: what each toxic does to libpq
/// sessions and to `pra status`, measured.
@Suite("network proxy", .serialized, .requires(.postgresServer))
struct NetworkProxyTests {
    static func proxy() throws -> NetworkProxy {
        try NetworkProxy(upstream: .unixSocket(path: TestEnvironment.sharedCluster.socketPath))
    }

    /// Settings reaching the shared cluster through `proxy`.
    static func settings(_ proxy: NetworkProxy, connectTimeout: Int = 10) -> ConnectionSettings {
        ConnectionSettings(parameters: ["host": "127.0.0.1", "port": "\(proxy.port)", "user": TestEnvironment.sharedCluster.superuser, "dbname": "postgres", "connect_timeout": "\(connectTimeout)"])
    }

    /// The quickest of `count` round trips (`SELECT 1`), in seconds: the least disturbed by a busy machine.
    static func fastestRoundTrip(_ connection: PostgresConnection, count: Int = 7) throws -> Double {
        var fastest = Double.infinity
        for _ in 0..<count {
            let clock = MonotonicClock.now()
            try connection.execute("SELECT 1")
            fastest = min(fastest, clock.elapsed())
        }
        return fastest
    }

    @Test("a session through the proxy reaches the server, and the proxy counts it and its bytes")
    func forwards() throws {
        let proxy = try Self.proxy()
        defer { proxy.stop() }
        let connection = try PostgresConnection(Self.settings(proxy), applicationName: "pra-proxy-test")
        #expect(try connection.scalar("SELECT current_setting('port')") == "\(TestEnvironment.sharedCluster.port)")
        #expect(proxy.connectionCount == 1)
        #expect(proxy.forwardedBytes.upstream > 0 && proxy.forwardedBytes.downstream > 0)
    }

    @Test("the same proxy fronts a TCP endpoint: a proxy in front of a proxy")
    func tcpUpstream() throws {
        let inner = try Self.proxy()
        defer { inner.stop() }
        let outer = try NetworkProxy(upstream: .tcp(host: "127.0.0.1", port: inner.port))
        defer { outer.stop() }
        let connection = try PostgresConnection(Self.settings(outer), applicationName: "pra-proxy-test")
        #expect(try connection.scalar("SELECT 40 + 2") == "42")
        #expect(inner.connectionCount == 1 && outer.connectionCount == 1)
    }

    @Test("in front of a webhook: an HTTP request goes through, a partition makes it time out, healing lets the next one through")
    func frontsAWebhook() throws {
        let server = try LoopbackHTTPServer { _ in 200 }
        defer { server.stop() }
        let proxy = try NetworkProxy(upstream: .tcp(host: "127.0.0.1", port: server.port))
        defer { proxy.stop() }
        let url = "http://127.0.0.1:\(proxy.port)/hook"
        #expect(HealthProbe(timeout: 5).check(url).statusCode == 200)
        proxy.partition()
        let cut = HealthProbe(timeout: 1).check(url)
        #expect(cut.statusCode == nil, "\(cut.summary)")
        proxy.heal()
        #expect(HealthProbe(timeout: 5).check(url).statusCode == 200)
        #expect(server.requestedPaths.filter { $0 == "/hook" }.count >= 2)
    }

    @Test("latency: a round trip takes the set delay longer, within 20 %, one way or both")
    func latency() throws {
        let proxy = try Self.proxy()
        defer { proxy.stop() }
        let connection = try PostgresConnection(Self.settings(proxy), applicationName: "pra-proxy-test")
        let baseline = try Self.fastestRoundTrip(connection)
        let delay = 0.2
        proxy.setConditions(LinkConditions(delay: delay), direction: .downstream)
        let oneWay = try Self.fastestRoundTrip(connection, count: 5) - baseline
        print("measured: latency \(delay) s downstream added \(String(format: "%.3f", oneWay)) s per round trip (baseline \(String(format: "%.4f", baseline)) s)")
        #expect(abs(oneWay - delay) <= delay * 0.2, "measured \(oneWay) s added for a \(delay) s delay downstream")
        proxy.setConditions(LinkConditions(delay: delay), direction: .both)
        let bothWays = try Self.fastestRoundTrip(connection, count: 5) - baseline
        print("measured: latency \(delay) s both ways added \(String(format: "%.3f", bothWays)) s per round trip")
        #expect(abs(bothWays - 2 * delay) <= 2 * delay * 0.2, "measured \(bothWays) s added for \(delay) s each way")
        proxy.clear()
        #expect(try Self.fastestRoundTrip(connection, count: 3) < delay / 2, "the delay stayed after clear()")
    }

    @Test("bandwidth: the measured rate is within 20 % of the setting, downstream and upstream")
    func bandwidth() throws {
        let proxy = try Self.proxy()
        defer { proxy.stop() }
        let connection = try PostgresConnection(Self.settings(proxy), applicationName: "pra-proxy-test")
        let rate = 1024.0 * 1024
        proxy.setConditions(LinkConditions(bytesPerSecond: rate), direction: .both)

        let before = proxy.forwardedBytes
        var clock = MonotonicClock.now()
        #expect(try connection.scalar("SELECT repeat('x', 3 * 1024 * 1024)")?.utf8.count == 3 << 20)
        let downstream = Double(proxy.forwardedBytes.downstream - before.downstream) / clock.elapsed()
        print("measured: bandwidth \(Int(rate)) B/s downstream gave \(Int(downstream)) B/s (\(String(format: "%+.1f", (downstream / rate - 1) * 100)) %)")
        #expect(abs(downstream - rate) <= rate * 0.2, "measured \(Int(downstream)) B/s downstream for \(Int(rate)) B/s")

        let payload = String(repeating: "y", count: 2 << 20)
        let sent = proxy.forwardedBytes.upstream
        clock = MonotonicClock.now()
        #expect(try connection.scalar("SELECT length($1)", [payload]) == "\(2 << 20)")
        let upstream = Double(proxy.forwardedBytes.upstream - sent) / clock.elapsed()
        print("measured: bandwidth \(Int(rate)) B/s upstream gave \(Int(upstream)) B/s (\(String(format: "%+.1f", (upstream / rate - 1) * 100)) %)")
        #expect(abs(upstream - rate) <= rate * 0.2, "measured \(Int(upstream)) B/s upstream for \(Int(rate)) B/s")
    }

    @Test("reset: open sessions are aborted after the set bytes, once; a new session goes through")
    func reset() throws {
        let proxy = try Self.proxy()
        defer { proxy.stop() }
        let connection = try PostgresConnection(Self.settings(proxy), applicationName: "pra-proxy-test")
        proxy.resetConnections(afterBytes: 256 << 10)
        #expect(proxy.isResetArmed)
        #expect(try connection.scalar("SELECT 1") == "1", "a few bytes must not reset yet")
        do {
            _ = try connection.scalar("SELECT repeat('x', 4 * 1024 * 1024)")
            Issue.record("the session survived the reset")
        } catch {
            #expect(error.kind == .connectionLost, "\(error)")
        }
        #expect(proxy.resetCount == 1)
        #expect(!proxy.isResetArmed)
        let retry = try PostgresConnection(Self.settings(proxy), applicationName: "pra-proxy-test")
        #expect(try retry.scalar("SELECT repeat('x', 1024 * 1024)")?.utf8.count == 1 << 20)
    }

    @Test("partition: a statement times out on the client, a connection attempt on connect_timeout; healing lets traffic through")
    func partition() throws {
        let proxy = try Self.proxy()
        defer { proxy.stop() }
        let connection = try PostgresConnection(Self.settings(proxy), applicationName: "pra-proxy-test")
        connection.statementTimeout = 1
        proxy.partition()
        do {
            _ = try connection.scalar("SELECT 1")
            Issue.record("a statement was answered across a partition")
        } catch {
            #expect(error.kind == .timedOut, "\(error)")
            #expect(error.description.contains("STATEMENT_TIMEOUT"))
        }
        do {
            _ = try PostgresConnection(Self.settings(proxy, connectTimeout: 2), applicationName: "pra-proxy-test")
            Issue.record("a connection was established across a partition")
        } catch {
            #expect(error.kind == .connection, "\(error)")
        }
        proxy.heal()
        let after = try PostgresConnection(Self.settings(proxy), applicationName: "pra-proxy-test")
        #expect(try after.scalar("SELECT 1") == "1")
        // The timed-out session cannot be trusted with a late answer: it refuses further statements.
        #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }
    }

    @Test("pra status during a partition exits CRITICAL within PGCONNECT_TIMEOUT + STATEMENT_TIMEOUT")
    func statusDuringPartition() throws {
        let proxy = try Self.proxy()
        defer { proxy.stop() }
        let backups = TestEnvironment.temporaryDirectory("net-status")
        var environment = TestEnvironment.environment(database: "postgres", backupDirectory: backups, extra: ["PGCONNECT_TIMEOUT": "2", "STATEMENT_TIMEOUT": "2s", "DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        environment["PGHOST"] = "127.0.0.1"
        environment["PGPORT"] = "\(proxy.port)"
        proxy.partition()
        let clock = MonotonicClock.now()
        let status = try PraBinary.run(["status", "--json"], environment: environment, timeout: 60)
        let seconds = clock.elapsed()
        print("measured: pra status during a partition answered in \(String(format: "%.2f", seconds)) s (PGCONNECT_TIMEOUT=2)")
        #expect(status.exitCode == 1, "\(status.stderr)")
        let report = try JSONCoding.decoder.decode(StatusReport.self, from: Data(status.stdout.utf8))
        #expect(report.level == .critical)
        #expect(report.checks.first { $0.name == "database" }?.level == .critical)
        // One connection attempt only (2 s), then the local checks; the process itself starts in well under a second.
        #expect(seconds < 2 + 2, "pra status took \(seconds) s during a partition")
    }
}
