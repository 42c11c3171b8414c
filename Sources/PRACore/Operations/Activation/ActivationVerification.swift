import Foundation

/// Phase three: the recovered server behind the switch. Its status (reachable, out of
/// recovery, accepting writes), `CRITICAL_TABLES` and the row counts (no table holds fewer
/// rows than the restored dump's manifest says), then `APP_HEALTH_URL` and `API_ENDPOINTS`
/// (left out of a rehearsal: nothing was switched, they still show the live service).
struct ActivationVerification {
    let configuration: Configuration
    let server: ActivationServer
    /// The manifest of the dump restored (logical), for the row counts.
    let manifest: BackupManifest?
    let probeHealth: Bool
    /// The server must accept writes (not for a rehearsed standby, which stays in recovery).
    var requireWritable = true

    func run() -> [RestoreResult.Check] {
        var checks: [RestoreResult.Check] = []
        do {
            var parameters = try configuration.connectionSettings().libpqParameters
            if let host = server.host { parameters["host"] = host }
            if let port = server.port { parameters["port"] = String(port) }
            parameters["dbname"] = server.database
            parameters["application_name"] = "pra-activate"
            let connection = try PostgresConnection(parameters: parameters)
            let version = (try connection.scalar("SHOW server_version")) ?? "?"
            let inRecovery = (try connection.scalar("SELECT pg_is_in_recovery()::text")) == "true"
            let readOnly = (try connection.scalar("SHOW default_transaction_read_only")) == "on"
            let place = "\(server.database) on \(server.host ?? parameters["host"] ?? "default host"):\(server.port.map(String.init) ?? parameters["port"] ?? "5432")"
            if requireWritable {
                checks.append(.init(name: "server", passed: !inRecovery && !readOnly, message: inRecovery ? "\(place) is still in recovery: it does not accept writes" : readOnly ? "\(place) is read-only (default_transaction_read_only)" : "\(place) answers, PostgreSQL \(version), accepts writes"))
            } else {
                checks.append(.init(name: "server", passed: inRecovery, message: inRecovery ? "\(place) answers, PostgreSQL \(version), a standby in recovery (rehearsal: not promoted)" : "\(place) is not in recovery: it is no standby any more"))
            }
            if let critical = CriticalTables(configuration.list(.criticalTables)).check(in: connection, database: server.database) {
                checks.append(critical)
            }
            checks.append(rowCounts(connection))
        } catch {
            checks.append(.init(name: "server", passed: false, message: "the recovered database \(server.database) cannot be reached: \(error)"))
        }
        if probeHealth {
            let timeout = (try? configuration.seconds(.healthTimeout)) ?? 10
            checks += HealthChecks(configuration: configuration, timeout: timeout).run()
        }
        return checks
    }

    /// Exact counts; against the restored dump's manifest when there is one (a table may have
    /// grown since the switch, never shrunk).
    private func rowCounts(_ connection: PostgresConnection) -> RestoreResult.Check {
        let counts: [BackupManifest.TableRows]
        do {
            counts = try RowCounter.count(connection)
        } catch {
            return .init(name: "row counts", passed: false, message: "cannot count the rows of \(server.database): \(error)")
        }
        let total = counts.reduce(Int64(0)) { $0 + $1.rows }
        guard let manifest else {
            return .init(name: "row counts", passed: !counts.isEmpty, message: counts.isEmpty ? "\(server.database) holds no table" : "\(counts.count) tables, \(total) rows")
        }
        let found = Dictionary(counts.map { ($0.qualifiedName, $0.rows) }, uniquingKeysWith: { first, _ in first })
        let short = manifest.tables.filter { (found[$0.qualifiedName] ?? -1) < $0.rows }
        if short.isEmpty {
            return .init(name: "row counts", passed: true, message: "\(counts.count) tables, \(total) rows; none has fewer than the dump's manifest")
        }
        return .init(name: "row counts", passed: false, message: short.prefix(5).map { "\($0.qualifiedName): \(found[$0.qualifiedName].map(String.init) ?? "missing") of \($0.rows)" }.joined(separator: ", "))
    }
}
