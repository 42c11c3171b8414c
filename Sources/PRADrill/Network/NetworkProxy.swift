import Foundation
import PRACore
import PRAHarness

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on 127.0.0.1 in front of one endpoint, whose link can be degraded while traffic
/// flows: toxiproxy's model, built in. The drill runner puts one between every `pra` step and
/// the scenario's server (`PGHOST=127.0.0.1`, `PGPORT=<port>`); network faults adjust it.
///
/// - latency and bandwidth per direction (``setConditions(_:direction:)``);
/// - a partition (``partition()`` until ``heal()``): nothing crosses either way and new
///   connections wait, as packets dropped by a dead link would;
/// - resets (``resetConnections(afterBytes:)``): the open connections are aborted with a TCP
///   RST once that many more bytes have crossed.
///
/// Each accepted connection gets its own upstream connection and a pipe per direction (a
/// reader and a writer thread, with at most ``queueLimit`` bytes in between, so memory does not
/// grow with the data). Stopped by ``stop()`` or `deinit`.
///
/// The fault proxies in front of an S3 store are this proxy too: ``intercept`` answers a
/// connection itself (`s3-throttling`'s 503 SlowDown), a ``ProxyStreamFilter`` rewrites what
/// crosses (`s3-silent-damage`).
public final class NetworkProxy: @unchecked Sendable {
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    /// Where it forwards to.
    public let upstream: ProxyEndpoint
    /// Bytes held between a pipe's reader and writer at most.
    static let queueLimit = 4 << 20
    /// Guards the link state and every connection's and pipe's state; broadcast on each change.
    let state = NSCondition()
    private let listener: LoopbackListener
    private var upstreamConditions = LinkConditions()
    private var downstreamConditions = LinkConditions()
    private var partitioned = false
    private var resetBudget: UInt64?
    private var resets = 0
    private var accepted = 0
    private var connections: [ProxyConnection] = []
    private var forwarded: (upstream: UInt64, downstream: UInt64) = (0, 0)
    private var stopped = false
    /// Takes an accepted connection before it is forwarded (it then owns the socket): true when it took it.
    private let intercept: (@Sendable (Int32) -> Bool)?
    /// Makes each connection's filter; `nil`: bytes cross unchanged.
    private let makeFilter: (@Sendable () -> any ProxyStreamFilter)?

    /// Listens on a free port of 127.0.0.1 and forwards every connection to `upstream`.
    public convenience init(upstream: ProxyEndpoint) throws(FileError) {
        try self.init(upstream: upstream, intercept: nil, filter: nil)
    }

    /// A proxy whose connections `intercept` may take first, and whose bytes a filter of
    /// `filter`'s making rewrites per connection.
    init(upstream: ProxyEndpoint, intercept: (@Sendable (Int32) -> Bool)?, filter: (@Sendable () -> any ProxyStreamFilter)?) throws(FileError) {
        self.upstream = upstream
        self.intercept = intercept
        makeFilter = filter
        listener = try LoopbackListener(backlog: 64)
        port = listener.port
        listener.start(for: self) { owner, client in owner.accept(client) }
    }

    deinit { stop() }

    /// Stops listening and closes every connection.
    public func stop() {
        state.lock()
        let first = !stopped
        stopped = true
        for connection in connections { connection.lockedFinish(abort: false) }
        state.broadcast()
        state.unlock()
        guard first else { return }
        listener.stop()
    }

    // MARK: - Faults

    /// Sets the latency and bandwidth of `direction` (both flows for `.both`).
    public func setConditions(_ conditions: LinkConditions, direction: ProxyDirection) {
        update(direction) { $0 = conditions }
    }

    /// Changes the conditions of `direction` in place (a fault setting only the rate keeps the delay).
    public func update(_ direction: ProxyDirection, _ change: (inout LinkConditions) -> Void) {
        state.lock()
        if direction.includesUpstream { change(&upstreamConditions) }
        if direction.includesDownstream { change(&downstreamConditions) }
        state.broadcast()
        state.unlock()
    }

    /// The conditions of one flow.
    public func conditions(upstream isUpstream: Bool) -> LinkConditions {
        state.lock()
        defer { state.unlock() }
        return lockedConditions(upstream: isUpstream)
    }

    /// Black-holes the link until ``heal()``: bytes stay where they are, new connections wait.
    public func partition() {
        setPartitioned(true)
    }

    /// Ends a partition: what waited flows again.
    public func heal() {
        setPartitioned(false)
    }

    public var isPartitioned: Bool {
        state.lock()
        defer { state.unlock() }
        return partitioned
    }

    private func setPartitioned(_ value: Bool) {
        state.lock()
        partitioned = value
        state.broadcast()
        state.unlock()
    }

    /// Aborts (TCP RST) the connections open once `bytes` more bytes have crossed the proxy, in
    /// either direction; 0 aborts them now. Once: later connections are left alone.
    public func resetConnections(afterBytes bytes: UInt64) {
        state.lock()
        resetBudget = bytes
        if bytes == 0 { lockedReset() }
        state.broadcast()
        state.unlock()
    }

    /// Cancels a reset that has not struck yet.
    public func disarmReset() {
        state.lock()
        resetBudget = nil
        state.unlock()
    }

    /// True while a reset waits for its bytes.
    public var isResetArmed: Bool {
        state.lock()
        defer { state.unlock() }
        return resetBudget != nil
    }

    /// How many times the open connections were reset.
    public var resetCount: Int {
        state.lock()
        defer { state.unlock() }
        return resets
    }

    /// Connections accepted so far.
    public var connectionCount: Int {
        state.lock()
        defer { state.unlock() }
        return accepted
    }

    /// Bytes forwarded each way so far.
    public var forwardedBytes: (upstream: UInt64, downstream: UInt64) {
        state.lock()
        defer { state.unlock() }
        return forwarded
    }

    /// Back to a perfect link: no latency, no rate limit, no partition, no pending reset.
    public func clear() {
        state.lock()
        upstreamConditions = LinkConditions()
        downstreamConditions = LinkConditions()
        partitioned = false
        resetBudget = nil
        state.broadcast()
        state.unlock()
    }

    // MARK: - For the pipes, with `state` locked

    func lockedConditions(upstream isUpstream: Bool) -> LinkConditions {
        isUpstream ? upstreamConditions : downstreamConditions
    }

    var lockedPartitioned: Bool { partitioned }

    /// Counts bytes a pipe forwarded; strikes an armed reset when they exhaust its budget.
    func lockedForwarded(_ bytes: Int, upstream isUpstream: Bool) {
        if isUpstream { forwarded.upstream += UInt64(bytes) } else { forwarded.downstream += UInt64(bytes) }
        guard let budget = resetBudget else { return }
        let left = budget > UInt64(bytes) ? budget - UInt64(bytes) : 0
        resetBudget = left
        if left == 0 { lockedReset() }
    }

    private func lockedReset() {
        resetBudget = nil
        resets += 1
        for connection in connections { connection.lockedFinish(abort: true) }
    }

    /// Forgets a connection whose sockets are closed.
    func lockedRemove(_ connection: ProxyConnection) {
        connections.removeAll { $0 === connection }
    }

    private func accept(_ client: Int32) {
        var on: Int32 = 1
        // Small answers go out at once: no Nagle delay added to the link's own.
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        if let intercept, intercept(client) { return }
        state.lock()
        if stopped {
            state.unlock()
            close(client)
            return
        }
        accepted += 1
        let connection = ProxyConnection(client: client, proxy: self, filter: makeFilter?())
        connections.append(connection)
        state.unlock()
        connection.start()
    }
}
