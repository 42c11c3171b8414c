import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// One connection through a ``NetworkProxy``: the accepted client socket, its upstream socket
/// and a ``ProxyPipe`` each way. Its state is guarded by the proxy's `state` lock. The sockets
/// are closed by the last of its threads to end: plainly when both directions ended, with a
/// TCP RST when it was aborted (a reset fault, or a reset from either peer passed on).
final class ProxyConnection: @unchecked Sendable {
    let client: Int32
    private(set) var server: Int32 = -1
    let proxy: NetworkProxy
    /// Rewrites what crosses, when a fault put one on the proxy.
    let filter: (any ProxyStreamFilter)?
    /// Every thread stops at its next look.
    private(set) var finished = false
    private var aborted = false
    private var runningThreads = 0
    private var pipesDone = 0

    init(client: Int32, proxy: NetworkProxy, filter: (any ProxyStreamFilter)? = nil) {
        self.client = client
        self.proxy = proxy
        self.filter = filter
    }

    /// Connects upstream (after a partition, if one is on) and starts both pipes.
    func start() {
        Thread { [self] in
            let state = proxy.state
            state.lock()
            while proxy.lockedPartitioned && !finished { _ = state.wait(until: Date(timeIntervalSinceNow: 0.05)) }
            let give = finished
            state.unlock()
            let upstream: Int32
            do {
                guard !give else { throw FileError(operation: .open, path: proxy.upstream.description, code: ECONNABORTED) }
                upstream = try proxy.upstream.connect()
            } catch {
                // The server is not there: the client sees its connection reset, as a refused one would fail.
                Self.closeAbruptly(client)
                state.lock()
                finished = true
                proxy.lockedRemove(self)
                state.unlock()
                return
            }
            var on: Int32 = 1
            setsockopt(upstream, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            state.lock()
            server = upstream
            runningThreads = 4
            state.unlock()
            let pipes = [ProxyPipe(from: client, to: upstream, upstream: true, connection: self), ProxyPipe(from: upstream, to: client, upstream: false, connection: self)]
            for pipe in pipes {
                Thread { pipe.runReader() }.start()
                Thread { pipe.runWriter() }.start()
            }
        }.start()
    }

    /// Stops every thread; `abort` closes the sockets with a RST. Called with `state` locked.
    func lockedFinish(abort: Bool) {
        if !finished { aborted = abort }
        finished = true
    }

    /// A pipe delivered everything and closed its side; both done ends the connection.
    func lockedPipeDone() {
        pipesDone += 1
        if pipesDone == 2 { finished = true }
    }

    /// A thread ended; the last one closes the sockets.
    func threadEnded() {
        let state = proxy.state
        state.lock()
        runningThreads -= 1
        let last = runningThreads == 0
        let abrupt = aborted
        if last { proxy.lockedRemove(self) }
        state.broadcast()
        state.unlock()
        guard last else { return }
        if abrupt {
            Self.closeAbruptly(client)
            Self.closeAbruptly(server)
        } else {
            close(client)
            close(server)
        }
    }

    /// Closes with SO_LINGER 0: the peer gets a RST instead of an orderly end.
    static func closeAbruptly(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
    }
}
