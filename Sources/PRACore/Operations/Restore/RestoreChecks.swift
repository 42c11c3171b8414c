/// The integrity checks of a restored database: table count and per-table row counts
/// against the manifest, critical tables present (``CriticalTables``).
struct RestoreChecks {
    let connection: PostgresConnection
    let manifest: BackupManifest?
    let criticalTables: [String]

    func run() throws(PostgresError) -> [RestoreResult.Check] {
        var checks: [RestoreResult.Check] = []
        let counts = try RowCounter.count(connection)
        if let manifest {
            let passed = counts.count == manifest.tables.count
            checks.append(.init(.tables, passed: passed, message: passed
                ? "\(counts.count) tables, as in the manifest"
                : "\(counts.count) tables restored, manifest lists \(manifest.tables.count)"))
            let restored = Dictionary(counts.map { ($0.qualifiedName, $0.rows) }, uniquingKeysWith: { a, _ in a })
            var mismatches: [String] = []
            for table in manifest.tables {
                let actual = restored[table.qualifiedName]
                if actual != table.rows {
                    mismatches.append("\(table.qualifiedName): \(actual.map(String.init) ?? "missing") rows, manifest \(table.rows)")
                }
            }
            checks.append(.init(.integrity, passed: mismatches.isEmpty, message: mismatches.isEmpty
                ? "row counts of all \(manifest.tables.count) tables match the manifest (\(manifest.totalRows) rows)"
                : "\(mismatches.count) table(s) differ: " + mismatches.prefix(5).joined(separator: "; ")))
        } else {
            let total = counts.reduce(0) { $0 + $1.rows }
            checks.append(.init(.tables, passed: !counts.isEmpty, message: counts.isEmpty
                ? "no tables restored"
                : "\(counts.count) tables, \(total) rows (no manifest to compare with)"))
        }
        if let critical = CriticalTables(criticalTables).check(in: connection) { checks.append(critical) }
        return checks
    }
}
