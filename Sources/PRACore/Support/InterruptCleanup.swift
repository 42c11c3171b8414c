import Dispatch
import Foundation

/// Cleanups that must run even when the process is interrupted (Ctrl-C, SIGTERM from cron's
/// timeout, SIGHUP): child process groups, scratch clusters, partial files.
///
/// Operations register a cleanup for as long as they hold the resource and unregister it when
/// they release it normally. The executable calls ``installSignalHandlers()`` once.
public final class InterruptCleanup: @unchecked Sendable {
    public static let shared = InterruptCleanup()

    private let lock = NSLock()
    private var nextToken = 0
    private var actions: [(token: Int, action: @Sendable () -> Void)] = []
    private var sources: [DispatchSourceSignal] = []
    private var interrupted = false

    /// True once a signal started the cleanups: a resource created from then on must clean up itself.
    public var isInterrupted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return interrupted
    }

    /// Registers `action`; returns a token for ``unregister(_:)``.
    @discardableResult
    public func register(_ action: @escaping @Sendable () -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextToken += 1
        actions.append((nextToken, action))
        return nextToken
    }

    public func unregister(_ token: Int) {
        lock.lock()
        defer { lock.unlock() }
        actions.removeAll { $0.token == token }
    }

    /// Runs every registered cleanup, newest first, and forgets them.
    public func runAll() {
        lock.lock()
        let pending = actions.reversed().map(\.action)
        actions.removeAll()
        lock.unlock()
        for action in pending { action() }
    }

    /// On SIGINT, SIGTERM or SIGHUP: run the cleanups, then exit with 128 + the signal number.
    public func installSignalHandlers() {
        signal(SIGPIPE, SIG_IGN)
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                interrupted = true
                lock.unlock()
                FileHandle.standardError.write(Data("pra: interrupted by signal \(number), cleaning up\n".utf8))
                runAll()
                exit(128 + number)
            }
            source.resume()
            lock.lock()
            sources.append(source)
            lock.unlock()
        }
    }
}
