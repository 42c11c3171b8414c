import Foundation
import PRACore

/// Connects once before an operation that needs the server, so that a connection failure says
/// what was tried (host or socket, port, database, user and where each came from) and how to
/// fix it. Nothing configured at all is a configuration error (exit 2); a configured server that
/// cannot be reached is an operation failure (exit 1).
enum ConnectionPreflight {
    /// Throws the failure to render when the server cannot be reached. `database` replaces the
    /// configured database (a restore connects to its maintenance database).
    static func check(_ configuration: Configuration, database: String? = nil, databaseOrigin: String? = nil) throws(OperationFailure) {
        // An invalid DATABASE_URL is reported by the operation itself, as before.
        guard let settings = try? configuration.connectionSettings() else { return }
        do {
            _ = try PostgresConnection(settings, database: database, applicationName: "pra-preflight")
        } catch {
            guard error.kind == .connection else { return }
            let diagnosis = ConnectionDiagnosis(configuration: configuration, database: database, databaseOrigin: databaseOrigin)
            throw OperationFailure(stage: "connect", message: diagnosis.message(failure: error.description), isUsageError: diagnosis.nothingConfigured)
        }
    }

    /// The maintenance database a logical restore connects to, and where that name came from.
    static func restoreMaintenanceDatabase(_ configuration: Configuration) -> (name: String, origin: String) {
        let name = configuration[.restoreMaintenanceDB] ?? ""
        let source = configuration.source(of: .restoreMaintenanceDB) ?? .defaultValue
        return (name, "RESTORE_MAINTENANCE_DB, \(source == .defaultValue ? "default" : "from " + source.rawValue)")
    }
}
