import Foundation

/// The manifest's row counts, taken from the dump's own COPY data as it streams out of
/// pg_dump: one entry per user table (the tables ``RowCounter`` lists), with the rows the
/// archive holds for it, which are the rows of the dump's snapshot.
///
/// Counting this way costs a `memchr` per row on the stream pra reads anyway, where a
/// `count(*)` per table would make the server read every table a second time while pg_dump
/// reads it. Rules, so that each count equals what `count(*)` gives on the restored table:
/// - a COPY block counts for the table it names; a partitioned or inherited table's count
///   adds its partitions' and children's blocks (``catalogue(_:)`` reads `pg_inherits` in the
///   dump's snapshot), as `count(*)` on it does;
/// - a table that belongs to an extension is counted with `count(*)` in the snapshot instead:
///   a restore fills it from the extension's own script, plus the rows pg_dump dumps of an
///   extension configuration table, so its COPY data does not say how many rows it gets back;
/// - a table (or partition, or child) the dump has no COPY block for is counted with
///   `count(*)` in the snapshot too: nothing in pg_dump's plain format leaves the data of a
///   table with rows out, so a count above 0 makes a restore's check say that data is
///   missing rather than let it pass (a partitioned table without a block holds no rows);
/// - if the dump cannot be lexed (``DumpScanner`` refuses it, which `pra verify` would report
///   too), every table is counted with `count(*)` in the snapshot, and ``scanProblem`` says why.
final class DumpRowTally {
    /// A relation, by schema and name as the catalogue spells them.
    struct Name: Hashable {
        let schema: String
        let name: String
    }

    /// One relation whose rows a listed table's `count(*)` includes (the table itself first).
    struct Member {
        let table: Name
        let relation: Name
        /// `pg_class.relkind`: `r`, `p` or `f`.
        let kind: String
        let belongsToExtension: Bool
    }

    private var scanner = DumpScanner()
    private var rowsByRelation: [Name: Int64] = [:]
    /// Why the dump could not be lexed (`nil`: it was, every COPY block was counted).
    private(set) var scanProblem: DumpScanner.Violation?

    /// Takes the next piece of the plain dump.
    func consume(_ bytes: UnsafeRawBufferPointer) {
        guard scanProblem == nil else { return }
        do {
            try scanner.scan(bytes) { [self] block in
                // pg_dump qualifies every COPY with its schema; a name not read plainly is
                // left to the count(*) fallback.
                guard let parts = block.target?.parts, parts.count == 2 else { return }
                rowsByRelation[Name(schema: parts[0], name: parts[1]), default: 0] += block.rows
            }
        } catch {
            scanProblem = error
        }
    }

    /// The listed tables and every relation whose rows each one's `count(*)` includes, in the
    /// connection's snapshot; ordered as ``RowCounter/count(_:)`` orders its tables.
    static func catalogue(_ connection: PostgresConnection) throws(PostgresError) -> [Member] {
        // UNION (not UNION ALL): a child of two parents of one table counts once, as in count(*).
        // Other sessions' temporary children are not dumped, nor seen by count(*).
        let rows = try connection.execute("""
            WITH RECURSIVE listed AS (
                SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE \(RowCounter.userTableCondition)
            ), tree(root, rel) AS (
                SELECT oid, oid FROM listed
                UNION
                SELECT t.root, i.inhrelid FROM tree t JOIN pg_inherits i ON i.inhparent = t.rel
                JOIN pg_class k ON k.oid = i.inhrelid WHERE k.relpersistence <> 't'
            )
            SELECT rn.nspname, r.relname, dn.nspname, d.relname, d.relkind::text,
                   EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = d.oid AND e.deptype = 'e')
            FROM tree t
            JOIN pg_class r ON r.oid = t.root JOIN pg_namespace rn ON rn.oid = r.relnamespace
            JOIN pg_class d ON d.oid = t.rel JOIN pg_namespace dn ON dn.oid = d.relnamespace
            ORDER BY 1, 2, t.root <> t.rel, 3, 4
            """).rows
        return rows.map { row in
            Member(
                table: Name(schema: row[0] ?? "", name: row[1] ?? ""), relation: Name(schema: row[2] ?? "", name: row[3] ?? ""),
                kind: row[4] ?? "r", belongsToExtension: row[5] == "t")
        }
    }

    /// The manifest's entries: the COPY rows of each table and its members, with the
    /// fallbacks above counted on `connection` (still in the dump's snapshot).
    func tables(_ members: [Member], connection: PostgresConnection) throws(PostgresError) -> [BackupManifest.TableRows] {
        let bounded = connection.statementTimeout
        connection.statementTimeout = nil
        defer { connection.statementTimeout = bounded }
        var counted: [Name: Int64] = [:]
        var tables: [BackupManifest.TableRows] = []
        for member in members {
            let rows: Int64
            if let known = counted[member.relation] {
                rows = known
            } else if scanProblem == nil, !member.belongsToExtension, let copied = rowsByRelation[member.relation] {
                rows = copied
            } else if scanProblem == nil, !member.belongsToExtension, member.kind == "p" {
                rows = 0  // no storage of its own: its rows are its partitions'
            } else {
                let relation = PostgresConnection.quoteIdentifier(member.relation.schema) + "." + PostgresConnection.quoteIdentifier(member.relation.name)
                rows = Int64(try connection.scalar("SELECT count(*) FROM ONLY \(relation)") ?? "0") ?? 0
            }
            counted[member.relation] = rows
            if let last = tables.last, last.schema == member.table.schema, last.name == member.table.name {
                tables[tables.count - 1].rows += rows
            } else {
                tables.append(.init(schema: member.table.schema, name: member.table.name, rows: rows))
            }
        }
        return tables
    }
}
