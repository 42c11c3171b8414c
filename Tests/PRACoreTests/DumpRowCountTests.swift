import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("manifest row counts from the dump's COPY data", .requires(.postgresServer))
struct DumpRowCountTests {
    /// Tables whose COPY data or names are easy to miscount or misread.
    static let trickySchema = #"""
        CREATE SCHEMA "Odd ""Schema"".x";
        CREATE TABLE "Odd ""Schema"".x"."Mixed Case.t" (id int, v text);
        INSERT INTO "Odd ""Schema"".x"."Mixed Case.t" VALUES
            (1, E'two\nlines'), (2, E'tab\there'), (3, E'back\\slash'), (4, '\.'), (5, E'\n\\.\n'),
            (6, E'\r\n'), (7, NULL), (8, ''), (9, E'\\.'), (10, E'ends with a backslash \\');
        CREATE TABLE public.texts (v text, w text);
        INSERT INTO public.texts SELECT CASE WHEN g % 3 = 0 THEN NULL ELSE E'\\.\n' || g END, repeat(E'x\n', g % 5) FROM generate_series(1, 500) g;
        CREATE TABLE public.empty_one (id int);
        CREATE TABLE public.measures (id int, k int, v text) PARTITION BY RANGE (k);
        CREATE TABLE public.measures_low PARTITION OF public.measures FOR VALUES FROM (0) TO (10);
        CREATE TABLE public.measures_high PARTITION OF public.measures FOR VALUES FROM (10) TO (100) PARTITION BY LIST (id);
        CREATE TABLE public.measures_high_odd PARTITION OF public.measures_high FOR VALUES IN (1, 3, 5, 7, 9);
        CREATE TABLE public.measures_high_rest PARTITION OF public.measures_high DEFAULT;
        CREATE TABLE public.measures_empty PARTITION OF public.measures FOR VALUES FROM (100) TO (200);
        INSERT INTO public.measures SELECT g % 10, g % 100, E'a\nb' FROM generate_series(1, 321) g;
        CREATE TABLE public.parent_rows (id int);
        CREATE TABLE public.child_rows (extra text) INHERITS (public.parent_rows);
        INSERT INTO public.parent_rows SELECT generate_series(1, 7);
        INSERT INTO public.child_rows SELECT g, 'c' FROM generate_series(1, 11) g;
        """#

    /// A table with more columns than a COPY line fits in 4 KiB, its first column NULL
    /// (`\N` at the start of a data line, which must not be read as a meta-command).
    static var wideTable: String {
        let columns = (1...300).map { "column_with_a_rather_long_name_\($0) int" }.joined(separator: ", ")
        return "CREATE TABLE public.wide (\(columns)); INSERT INTO public.wide (column_with_a_rather_long_name_2) SELECT generate_series(1, 25);"
    }

    @Test("each table's manifest count equals count(*): escaped newlines, tabs, backslashes, a \\.-like value, an empty table, partitions, inheritance, a quoted schema, a wide table")
    func countsMatchCountStar() throws {
        let database = TestEnvironment.databaseName("rowcounts")
        try TestEnvironment.psql("CREATE DATABASE \(database)", database: "postgres")
        try TestEnvironment.psql(Self.trickySchema, database: database)
        try TestEnvironment.psql(Self.wideTable, database: database)
        let directory = TestEnvironment.temporaryDirectory("rowcounts")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)

        let backup = try BackupOperation(configuration: configuration).run()
        #expect(backup.warnings.isEmpty, "\(backup.warnings)")
        let manifest = try BackupManifest.load(path: backup.manifest)
        let expected: [String: Int64] = [
            "Odd \"Schema\".x.Mixed Case.t": 10, "public.texts": 500, "public.empty_one": 0,
            "public.measures": 321, "public.parent_rows": 18, "public.child_rows": 11, "public.wide": 25,
        ]
        #expect(Dictionary(uniqueKeysWithValues: manifest.tables.map { ($0.qualifiedName, $0.rows) }) == expected)
        // And each equals count(*) on the source, read independently of pra.
        for table in manifest.tables {
            let quoted = "\"\(table.schema.replacingOccurrences(of: "\"", with: "\"\""))\".\"\(table.name.replacingOccurrences(of: "\"", with: "\"\""))\""
            #expect(try TestEnvironment.psql("SELECT count(*) FROM \(quoted)", database: database) == String(table.rows), "\(table.qualifiedName)")
        }

        // The archive verifies, and a restore's row-count check agrees with the manifest.
        let verdict = ArchiveVerifier().verify(archivePath: backup.archive, manifestPath: backup.manifest, requireManifest: true)
        #expect(verdict.valid, "\(verdict.problems)")
        let restore = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_r")
        #expect(restore.succeeded, "\(restore.summary)")
        #expect(restore.checks.first { $0.name == "integrity" }?.passed == true)
    }

    @Test("a table with rows the dump has no COPY data for is counted with count(*), so a restore cannot pass without them")
    func tableWithoutCopyIsCountedInSnapshot() throws {
        let database = TestEnvironment.databaseName("nocopy")
        try TestEnvironment.psql("CREATE DATABASE \(database)", database: "postgres")
        try TestEnvironment.psql("CREATE TABLE public.kept (id int); INSERT INTO public.kept SELECT generate_series(1, 12);", database: database)
        let connection = try PostgresConnection(try TestEnvironment.configuration(database: database, backupDirectory: "/tmp").connectionSettings(), applicationName: "pra-test")
        let members = try DumpRowTally.catalogue(connection)
        #expect(members.map(\.relation.name) == ["kept"])
        // A tally that saw no COPY block for the table (as for a table whose data pg_dump leaves out).
        let tally = DumpRowTally()
        Array("SET x = 1;\nCOPY public.other (id) FROM stdin;\n1\n\\.\n".utf8).withUnsafeBytes { tally.consume($0) }
        #expect(try tally.tables(members, connection: connection) == [.init(schema: "public", name: "kept", rows: 12)])
    }
}
