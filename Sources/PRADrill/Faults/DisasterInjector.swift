import Foundation
import PRACore

/// Loses the database, in one of the ways disasters do. Returns the seconds spent
/// provisioning a replacement server (counted in the RTO as its own phase).
struct DisasterInjector {
    let kind: DisasterKind

    /// The table a bad transaction empties: the first of the scenario's `CRITICAL_TABLES`.
    static func damagedTable(_ context: ScenarioContext) -> String? {
        context.environment["CRITICAL_TABLES"]?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// `schema.table` or `table`, each part quoted.
    static func quoted(_ table: String) -> String {
        table.split(separator: ".").map { PostgresConnection.quoteIdentifier(String($0)) }.joined(separator: ".")
    }

    func inject(_ context: ScenarioContext) throws -> (summary: String, provisionSeconds: Double?) {
        switch kind {
        case .dropDatabase:
            try context.adminConnection().execute("DROP DATABASE \(PostgresConnection.quoteIdentifier(context.database)) WITH (FORCE)")
            return ("dropped database \(context.database)", nil)
        case .wipeDataDirectory:
            try context.cluster.stop(.immediate)
            try context.cluster.wipeDataDirectory()
            let clock = MonotonicClock.now()
            try context.cluster.reinitialize()
            return ("stopped the server and deleted its data directory; provisioned an empty server", clock.elapsed())
        case .loseCluster:
            context.cluster.crash()
            try context.cluster.wipeDataDirectory()
            let clock = MonotonicClock.now()
            try context.cluster.reinitialize()
            return ("crashed the server and lost its data directory; provisioned an empty server", clock.elapsed())
        case .loseSite:
            context.cluster.crash()
            try context.cluster.wipeDataDirectory()
            try FileManager.default.removeItem(atPath: context.backupDirectory)
            try FileManager.default.createDirectory(atPath: context.backupDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            let clock = MonotonicClock.now()
            try context.cluster.reinitialize()
            return ("crashed the server, lost its data directory and the local backup directory; provisioned an empty server", clock.elapsed())
        case .badTransaction:
            guard let table = Self.damagedTable(context) else {
                throw FaultError(description: "bad-transaction needs CRITICAL_TABLES in the scenario's env")
            }
            let connection = try PostgresConnection(context.cluster.connectionSettings.with(database: context.database), applicationName: "pra-drill")
            let deleted = try connection.execute("DELETE FROM \(Self.quoted(table))").affectedRows
            return ("deleted all \(deleted) rows of \(table) (server still up)", nil)
        }
    }
}
