/// `CRITICAL_TABLES` looked up in a database: the one lookup `pra restore`, `pra restore --pitr`
/// and `pra status` share. A lookup that cannot run is a failed check naming why, never a
/// table reported "missing".
struct CriticalTables {
    let tables: [String]

    init(_ tables: [String]) {
        self.tables = tables
    }

    /// A lookup that could not run: which table, in which database, and the server's message.
    struct LookupFailure: Error, CustomStringConvertible {
        let table: String
        let database: String?
        let error: PostgresError

        var description: String { "cannot look \(table) up\(database.map { " in \($0)" } ?? ""): \(error)" }
    }

    /// The configured tables that do not exist in `connection`'s database.
    func missing(in connection: PostgresConnection, database: String? = nil) throws(LookupFailure) -> [String] {
        var missing: [String] = []
        for table in tables {
            do {
                if try connection.scalar("SELECT to_regclass($1)::text", [table]) == nil { missing.append(table) }
            } catch {
                throw LookupFailure(table: table, database: database, error: error)
            }
        }
        return missing
    }

    /// The "critical tables" check of a restored database; `nil` when none are configured.
    /// `database` is named in the message when given.
    func check(in connection: PostgresConnection, database: String? = nil) -> RestoreResult.Check? {
        guard !tables.isEmpty else { return nil }
        let missing: [String]
        do {
            missing = try self.missing(in: connection, database: database)
        } catch {
            return .init(.criticalTables, passed: false, message: error.description)
        }
        let place = database.map { " in \($0)" } ?? ""
        return .init(.criticalTables, passed: missing.isEmpty, message: missing.isEmpty
            ? "all \(tables.count) present\(place) (\(tables.joined(separator: ", ")))"
            : "missing\(place): \(missing.joined(separator: ", "))")
    }
}
