import Foundation

/// Runs SQL scripts (a restore's index, constraint and foreign-key statements) over several
/// libpq connections at once. Two scripts that name a common lock key never run at the same
/// time: a foreign key locks both its tables, and two of them taking the same two tables in
/// opposite orders would deadlock. The key `*` excludes everything else.
final class StatementPool: @unchecked Sendable {
    /// One script and the tables it locks.
    struct Script: Sendable {
        let sql: String
        let locks: Set<String>
    }

    private let condition = NSCondition()
    private var pending: [Script]
    private var held: [String: Int] = [:]
    private var exclusive = false
    private var running = 0
    private var failure: String?

    init(_ scripts: [Script]) {
        pending = scripts
    }

    /// Runs every script on `jobs` connections made by `connect`; the first failure, or `nil`.
    func run(jobs: Int, connect: @escaping @Sendable () throws -> PostgresConnection) -> String? {
        let group = DispatchGroup()
        for _ in 0..<max(1, min(jobs, pending.count)) {
            group.enter()
            let thread = Thread { [self] in
                work(connect)
                group.leave()
            }
            thread.name = "pra-restore-sql"
            thread.start()
        }
        group.wait()
        return failure
    }

    private func conflicts(_ script: Script) -> Bool {
        if exclusive { return true }
        if script.locks.contains("*") { return running > 0 }
        return script.locks.contains { held[$0, default: 0] > 0 }
    }

    private func work(_ connect: () throws -> PostgresConnection) {
        let connection: PostgresConnection
        do {
            connection = try connect()
        } catch {
            fail("\(error)")
            return
        }
        while true {
            condition.lock()
            var chosen: Script?
            while failure == nil && !pending.isEmpty {
                if let index = pending.firstIndex(where: { !conflicts($0) }) {
                    chosen = pending.remove(at: index)
                    break
                }
                condition.wait()
            }
            guard let script = chosen else {
                condition.unlock()
                return
            }
            running += 1
            if script.locks.contains("*") { exclusive = true }
            for key in script.locks { held[key, default: 0] += 1 }
            condition.unlock()

            var error: PostgresError?
            do {
                try connection.execute(script.sql)
            } catch let failed {
                error = failed
            }

            condition.lock()
            running -= 1
            if script.locks.contains("*") { exclusive = false }
            for key in script.locks { held[key, default: 0] -= 1 }
            condition.broadcast()
            condition.unlock()
            if let error {
                fail(error.description)
                return
            }
        }
    }

    private func fail(_ message: String) {
        condition.lock()
        if failure == nil { failure = message }
        pending.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
