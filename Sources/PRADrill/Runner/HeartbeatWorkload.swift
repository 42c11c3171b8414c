import Foundation
import PRACore

/// Writes heartbeat rows at a fixed rate into `pra_heartbeat` of the scenario's database and
/// records, for each row, when its commit was acknowledged. RPO is measured against these
/// acknowledgements: the newest one present after a restore is the recovery point.
final class HeartbeatWorkload: @unchecked Sendable {
    static let table = "pra_heartbeat"
    static let applicationName = "pra-drill-workload"

    private let settings: ConnectionSettings
    private let interval: Double
    private let lock = NSLock()
    private var running = false
    private var acknowledged: [Int64: Date] = [:]
    private var failures = 0
    private let done = DispatchSemaphore(value: 0)

    init(settings: ConnectionSettings, rate: Double) {
        self.settings = settings
        interval = 1 / rate
    }

    /// Creates the table (it is part of every later backup), starts writing, and returns once
    /// the first heartbeat is committed: a first step that starts at once (a backup) must find
    /// the workload running, not an empty table (seen with four scenarios at a time).
    func start() throws {
        let connection = try PostgresConnection(settings, applicationName: Self.applicationName)
        try connection.execute("CREATE TABLE IF NOT EXISTS \(Self.table) (seq bigint PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp())")
        running = true
        Thread { [self] in write() }.start()
        let clock = MonotonicClock.now()
        while acknowledgedCount == 0 {
            guard clock.elapsed() < 30 else {
                stop()
                throw FaultError(description: "the workload wrote no heartbeat into \(Self.table) within 30 s")
            }
            usleep(5_000)
        }
    }

    private func write() {
        defer { done.signal() }
        var connection: PostgresConnection?
        var sequence: Int64 = 0
        var next = MonotonicClock.now()
        var tick = 0.0
        while isRunning {
            if connection == nil { connection = try? PostgresConnection(settings, applicationName: Self.applicationName) }
            sequence += 1
            do {
                guard let connection else { throw FaultError(description: "no connection") }
                try connection.execute("INSERT INTO \(Self.table) (seq) VALUES ($1)", [String(sequence)])
                let acknowledgedAt = Date()
                lock.lock()
                acknowledged[sequence] = acknowledgedAt
                lock.unlock()
            } catch {
                connection = nil
                lock.lock()
                failures += 1
                lock.unlock()
            }
            tick += interval
            let wait = tick - next.elapsed()
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            if next.elapsed() > tick + 5 {  // fell far behind (server down): do not burst
                next = MonotonicClock.now()
                tick = 0
            }
        }
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Stops writing and waits for the writer to finish its current row.
    func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning { done.wait() }
    }

    /// Heartbeats whose commit was acknowledged.
    var acknowledgedCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return acknowledged.count
    }

    /// When heartbeat `sequence` was acknowledged.
    func acknowledgement(of sequence: Int64) -> Date? {
        lock.lock()
        defer { lock.unlock() }
        return acknowledged[sequence]
    }

    /// The newest heartbeat in `database` (a restored copy) and how many there are.
    static func newestHeartbeat(settings: ConnectionSettings, database: String) throws -> (sequence: Int64, count: Int)? {
        let connection = try PostgresConnection(settings, database: database, applicationName: applicationName)
        guard try connection.scalar("SELECT to_regclass($1)::text", [table]) != nil else { return nil }
        let result = try connection.execute("SELECT max(seq), count(*) FROM \(table)")
        guard let newest = result.value(0, 0).flatMap(Int64.init) else { return nil }
        return (newest, Int(result.value(0, 1) ?? "0") ?? 0)
    }
}
