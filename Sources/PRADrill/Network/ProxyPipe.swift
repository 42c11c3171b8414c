import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// One direction of a ``ProxyConnection``: a reader thread takes chunks from `source` (unless
/// the link is partitioned or the queue is full) and stamps when each is due (its arrival
/// plus the link's delay and jitter); a writer thread sends them to `destination` when due, at
/// the link's rate. State is guarded by the proxy's `state` lock.
final class ProxyPipe: @unchecked Sendable {
    private struct Chunk {
        var bytes: [UInt8]
        var offset = 0
        var due: MonotonicClock
    }

    let source: Int32
    let destination: Int32
    /// pra → server.
    let upstream: Bool
    let connection: ProxyConnection
    private var queue: [Chunk] = []
    private var queuedBytes = 0
    private var sourceClosed = false
    /// The pipe's clock: ``nextSend`` counts seconds from here.
    private let origin = MonotonicClock.now()
    /// When the rate allows the next bytes out, in seconds since ``origin``.
    private var nextSend: Double?

    init(from source: Int32, to destination: Int32, upstream: Bool, connection: ProxyConnection) {
        self.source = source
        self.destination = destination
        self.upstream = upstream
        self.connection = connection
    }

    private var state: NSCondition { connection.proxy.state }

    private func wait(_ seconds: Double) {
        _ = state.wait(until: Date(timeIntervalSinceNow: max(0.001, min(seconds, 0.05))))
    }

    func runReader() {
        defer { connection.threadEnded() }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            state.lock()
            while !connection.finished && (connection.proxy.lockedPartitioned || queuedBytes >= NetworkProxy.queueLimit) { wait(0.05) }
            let finished = connection.finished
            state.unlock()
            if finished { return }
            var descriptor = pollfd(fd: source, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            let count = recv(source, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            // A fault's filter sees the bytes first, and what it held back once the source ended.
            var bytes: [UInt8] = []
            if count > 0 {
                bytes = Array(buffer[0..<count])
                if let filter = connection.filter { bytes = filter.filter(bytes, upstream: upstream) }
            } else if count == 0, let filter = connection.filter {
                bytes = filter.flush(upstream: upstream)
            }
            state.lock()
            defer {
                state.broadcast()
                state.unlock()
            }
            if !bytes.isEmpty { lockedEnqueue(bytes) }
            guard count > 0 else {
                // An orderly end is passed on once the queue is delivered; an error (a reset) at once.
                if count == 0 { sourceClosed = true } else { connection.lockedFinish(abort: true) }
                return
            }
        }
    }

    /// Queues bytes read, due after the link's delay and jitter. Called with `state` locked.
    private func lockedEnqueue(_ bytes: [UInt8]) {
        let link = connection.proxy.lockedConditions(upstream: upstream)
        let delay = max(0, link.delay + (link.jitter > 0 ? Double.random(in: -link.jitter...link.jitter) : 0))
        var due = MonotonicClock.now().adding(delay)
        // Jitter never reorders the stream: a chunk is not due before the one ahead of it.
        if let last = queue.last, last.due.remaining() > due.remaining() { due = last.due }
        queue.append(Chunk(bytes: bytes, due: due))
        queuedBytes += bytes.count
    }

    func runWriter() {
        defer { connection.threadEnded() }
        while true {
            state.lock()
            var slice: [UInt8] = []
            var rate: Double?
            while slice.isEmpty {
                if connection.finished {
                    state.unlock()
                    return
                }
                guard let head = queue.first else {
                    if sourceClosed {
                        shutdown(destination, Int32(SHUT_WR))
                        connection.lockedPipeDone()
                        state.broadcast()
                        state.unlock()
                        return
                    }
                    wait(0.05)
                    continue
                }
                if connection.proxy.lockedPartitioned {
                    wait(0.05)
                    continue
                }
                let untilDue = head.due.remaining()
                if untilDue > 0 {
                    wait(untilDue)
                    continue
                }
                var count = head.bytes.count - head.offset
                rate = connection.proxy.lockedConditions(upstream: upstream).bytesPerSecond.flatMap { $0 > 0 ? $0 : nil }
                if let rate {
                    if let next = nextSend, next > origin.elapsed() {
                        wait(next - origin.elapsed())
                        continue
                    }
                    // Slices of 20 ms worth keep the pace smooth.
                    count = min(count, max(1, min(65536, Int(rate * 0.02))))
                }
                slice = Array(head.bytes[head.offset..<(head.offset + count)])
            }
            state.unlock()
            let started = origin.elapsed()
            let sent = send(slice)
            state.lock()
            if !sent {
                connection.lockedFinish(abort: true)
                state.broadcast()
                state.unlock()
                return
            }
            queue[0].offset += slice.count
            if queue[0].offset == queue[0].bytes.count { queue.removeFirst() }
            queuedBytes -= slice.count
            if let rate {
                // Lateness of a few wake-ups is made up (up to 50 ms), so the pace holds on average;
                // a longer pause (nothing to send) earns no burst.
                let base = max(nextSend ?? started, started - 0.05)
                nextSend = base + Double(slice.count) / rate
            } else {
                nextSend = nil
            }
            connection.proxy.lockedForwarded(slice.count, upstream: upstream)
            state.broadcast()
            state.unlock()
        }
    }

    /// Sends all of `bytes`, giving up when the connection finishes or the peer is gone.
    private func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            var descriptor = pollfd(fd: destination, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            if ready <= 0 {
                if ready < 0 && errno != EINTR { return false }
                state.lock()
                let finished = connection.finished
                state.unlock()
                if finished { return false }
                continue
            }
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(destination, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if written < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
