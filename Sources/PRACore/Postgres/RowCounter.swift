/// Exact row counts of a database's user tables with `count(*)`: what a restore checks
/// against the manifest, and what the fixture loader reports.
public enum RowCounter {
    /// The user tables a manifest lists (over `pg_class c JOIN pg_namespace n`): ordinary and
    /// partitioned tables that are not partitions, outside the system schemas. A backup and
    /// the restore's check must list the same tables.
    static let userTableCondition = """
        c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        """

    /// Exact row counts of all user tables, in the connection's current snapshot. A table's
    /// count includes its partitions' and inheritance children's rows, as `count(*)` does.
    public static func count(_ connection: PostgresConnection) throws(PostgresError) -> [BackupManifest.TableRows] {
        // Counting grows with the data: the operation's own timeout bounds it, not STATEMENT_TIMEOUT.
        let bounded = connection.statementTimeout
        connection.statementTimeout = nil
        defer { connection.statementTimeout = bounded }
        let tables = try connection.execute("""
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE \(userTableCondition)
            ORDER BY 1, 2
            """).rows
        var counts: [BackupManifest.TableRows] = []
        for row in tables {
            let schema = row[0] ?? "", name = row[1] ?? ""
            let sql = "SELECT count(*) FROM \(PostgresConnection.quoteIdentifier(schema)).\(PostgresConnection.quoteIdentifier(name))"
            let rows = Int64(try connection.scalar(sql) ?? "0") ?? 0
            counts.append(.init(schema: schema, name: name, rows: rows))
        }
        return counts
    }
}
