import Foundation
import PRACore

/// Loses the database, in one of the ways disasters do. Returns the seconds spent
/// provisioning a replacement server (counted in the RTO as its own phase) and, for a bad
/// transaction, the table it emptied with the rows it held.
struct DisasterInjector {
    let kind: DisasterKind
    /// The table a bad transaction empties; `nil`: ``badTransactionTable(_:connection:)`` chooses.
    var table: String? = nil

    struct Injected {
        var summary: String
        var provisionSeconds: Double?
        /// A bad transaction's table and the rows it deleted (all the table held).
        var damaged: (table: String, rows: Int)?
    }

    /// The table a bad transaction empties when the step names none: the first table of the
    /// scenario's `CRITICAL_TABLES` that no foreign key references (a `DELETE` of a referenced
    /// table fails, as `payments` does on the akig fixture), else the database's largest such
    /// table. Tables holding rows come first; the heartbeat table is never chosen.
    static func badTransactionTable(_ context: ScenarioContext, connection: PostgresConnection) throws -> String {
        let rows = try connection.execute("""
            SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
              AND c.relname <> $1
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = c.oid AND f.conrelid <> c.oid)
            ORDER BY pg_total_relation_size(c.oid) DESC, c.relname
            """, [HeartbeatWorkload.table]).rows.compactMap { $0.first ?? nil }
        let critical = (context.environment[Setting.criticalTables.name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let first = critical.first(where: { name in rows.contains(name) || rows.contains(name.hasPrefix("public.") ? String(name.dropFirst(7)) : name) }) {
            return first
        }
        guard let largest = rows.first else {
            throw FaultError(description: "bad-transaction found no table that no foreign key references in \(context.database); name one with disaster: {kind: bad-transaction, table: NAME}")
        }
        return largest
    }

    /// `schema.table` or `table`, each part quoted.
    static func quoted(_ table: String) -> String {
        table.split(separator: ".").map { PostgresConnection.quoteIdentifier(String($0)) }.joined(separator: ".")
    }

    func inject(_ context: ScenarioContext) throws -> Injected {
        switch kind {
        case .dropDatabase:
            try context.adminConnection().execute("DROP DATABASE \(PostgresConnection.quoteIdentifier(context.database)) WITH (FORCE)")
            return Injected(summary: "dropped database \(context.database)")
        case .wipeDataDirectory:
            try context.cluster.stop(.immediate)
            try context.cluster.wipeDataDirectory()
            let clock = MonotonicClock.now()
            try context.cluster.reinitialize()
            return Injected(summary: "stopped the server and deleted its data directory; provisioned an empty server", provisionSeconds: clock.elapsed())
        case .loseCluster:
            context.cluster.crash()
            try context.cluster.wipeDataDirectory()
            let clock = MonotonicClock.now()
            try context.cluster.reinitialize()
            return Injected(summary: "crashed the server and lost its data directory; provisioned an empty server", provisionSeconds: clock.elapsed())
        case .loseSite:
            context.cluster.crash()
            try context.cluster.wipeDataDirectory()
            try FileManager.default.removeItem(atPath: context.backupDirectory)
            try FileManager.default.createDirectory(atPath: context.backupDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            // A new, empty backup directory as the site's rebuild prepares it: the server's OS
            // user runs archive_command and restore_command (pra wal get) there.
            try context.cluster.grantServerAccess(to: context.backupDirectory)
            let clock = MonotonicClock.now()
            try context.cluster.reinitialize()
            return Injected(summary: "crashed the server, lost its data directory and the local backup directory; provisioned an empty server", provisionSeconds: clock.elapsed())
        case .badTransaction:
            let connection = try PostgresConnection(context.cluster.connectionSettings.with(database: context.database), applicationName: "pra-drill")
            let chosen = try table ?? Self.badTransactionTable(context, connection: connection)
            let deleted: Int
            do {
                deleted = try connection.execute("DELETE FROM \(Self.quoted(chosen))").affectedRows
            } catch {
                throw FaultError(description: "bad-transaction could not delete from \(chosen): \(error)" + (table == nil ? "" : " (name a table that no foreign key references: docs/scenarios.md lists the akig fixture's)"))
            }
            return Injected(summary: "deleted all \(deleted) rows of \(chosen) (server still up)", damaged: (chosen, deleted))
        }
    }
}
