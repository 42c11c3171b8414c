import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("split full backups on a real server: rows copied over several sessions", .requires(.postgresServer))
struct SplitTableBackupTests {
    /// Rows that are easy to mangle (escapes, line breaks, `\.`, NULLs, floats, bytea, time),
    /// a generated and a dropped column, a quoted mixed-case name, an index, a primary and a
    /// foreign key, and a trigger that fails if a restore loads the rows after creating it.
    static let schema = #"""
        CREATE SCHEMA "Odd ""Schema"".x";
        CREATE TABLE public.kinds (id int PRIMARY KEY, label text);
        INSERT INTO public.kinds SELECT g, 'kind ' || g FROM generate_series(0, 9) g;
        CREATE TABLE "Odd ""Schema"".x"."Big Table" (
            id bigint PRIMARY KEY, kind int REFERENCES public.kinds (id), gone int, note text, f float8, b bytea,
            at timestamptz, span interval, doubled bigint GENERATED ALWAYS AS (id * 2) STORED);
        ALTER TABLE "Odd ""Schema"".x"."Big Table" DROP COLUMN gone;
        INSERT INTO "Odd ""Schema"".x"."Big Table" (id, kind, note, f, b, at, span)
            SELECT g, g % 10,
                   CASE g % 7 WHEN 0 THEN NULL WHEN 1 THEN E'two\nlines' WHEN 2 THEN E'tab\there' WHEN 3 THEN '\.' WHEN 4 THEN E'back\\slash\\' ELSE repeat('x', g % 300) END,
                   CASE g % 5 WHEN 0 THEN 0.1 WHEN 1 THEN 1e300 WHEN 2 THEN 'NaN' WHEN 3 THEN '-0' ELSE g / 3.0 END,
                   decode(md5(g::text), 'hex'), timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', g * interval '1 minute'
            FROM generate_series(1, 20000) g;
        CREATE INDEX big_note ON "Odd ""Schema"".x"."Big Table" (note);
        CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'trigger fired during load'; END $$;
        CREATE TRIGGER no_load BEFORE INSERT ON "Odd ""Schema"".x"."Big Table" FOR EACH ROW EXECUTE FUNCTION public.refuse();
        CREATE TABLE public.small (id serial PRIMARY KEY, v text);
        INSERT INTO public.small (v) SELECT 's' || g FROM generate_series(1, 50) g;
        CREATE TABLE public.empty_big (id int);
        """#

    /// Every table's rows as one digest, read independently of pra.
    static func digests(_ database: String) throws -> String {
        try TestEnvironment.psql("""
            SELECT string_agg(t || '=' || d, ' ' ORDER BY t) FROM (
              SELECT 'big' AS t, md5(string_agg(r::text, '|' ORDER BY r.id)) AS d FROM "Odd ""Schema"".x"."Big Table" r
              UNION ALL SELECT 'kinds', md5(string_agg(r::text, '|' ORDER BY r.id)) FROM public.kinds r
              UNION ALL SELECT 'small', md5(string_agg(r::text, '|' ORDER BY r.id)) FROM public.small r
              UNION ALL SELECT 'seq', last_value::text FROM public.small_id_seq) x
            """, database: database)
    }

    /// A backup whose tables of at least one page are split, three pages per COPY.
    static func splitBackup(_ configuration: Configuration) throws -> BackupResult {
        var operation = BackupOperation(configuration: configuration)
        operation.splitLimits = .init(minimumTableBytes: 1, pagesPerChunk: 3)
        return try operation.run()
    }

    @Test("a split dump holds one preamble and one \\restrict key, verifies, and restores the same rows with pra and with stock psql, the trigger created after the rows")
    func splitDumpRestoresTheSameRows() throws {
        let database = TestEnvironment.databaseName("split")
        try TestEnvironment.psql("CREATE DATABASE \(database)", database: "postgres")
        try TestEnvironment.psql(Self.schema, database: database)
        let source = try Self.digests(database)
        let directory = TestEnvironment.temporaryDirectory("split")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "2"])

        let backup = try Self.splitBackup(configuration)
        #expect(backup.warnings.isEmpty, "\(backup.warnings)")
        let dump = try TestEnvironment.shell("gzip -dc \"$0\"", [backup.archive])
        #expect(dump.exitCode == 0)
        let lines = dump.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        func count(_ prefix: String) -> Int { lines.filter { $0.hasPrefix(prefix) }.count }
        #expect(count("\\restrict ") == 1 && count("\\unrestrict ") == 1)
        #expect(count("-- Dumped from") == 1 && count("-- PostgreSQL database dump complete") == 1 && count("SET statement_timeout") == 1)
        // Every table's data is one entry, the split ones by pra (a page-range COPY never shows).
        #expect(count("-- Data for Name: Big Table; Type: TABLE DATA; Schema: Odd \"Schema\".x;") == 1)
        #expect(count("COPY \"Odd \"\"Schema\"\".x\".\"Big Table\" (id, kind, note, f, b, at, span) FROM stdin;") == 1)
        #expect(count("COPY public.small (id, v) FROM stdin;") == 1 && count("COPY public.kinds (id, label) FROM stdin;") == 1)
        #expect(!dump.stdoutText.contains("ctid"))
        // The rows come before the index, the keys and the trigger.
        let copyAt = try #require(lines.firstIndex { $0.hasPrefix("COPY \"Odd") })
        let triggerAt = try #require(lines.firstIndex { $0.hasPrefix("CREATE TRIGGER no_load") })
        let indexAt = try #require(lines.firstIndex { $0.hasPrefix("CREATE INDEX big_note") })
        #expect(copyAt < indexAt && indexAt < triggerAt)

        let manifest = try BackupManifest.load(path: backup.manifest)
        #expect(manifest.tables.first { $0.name == "Big Table" }?.rows == 20000)
        #expect(manifest.tables.first { $0.name == "small" }?.rows == 50)
        #expect(manifest.restrictKey?.count == 64)
        let verdict = ArchiveVerifier().verify(archivePath: backup.archive, manifestPath: backup.manifest, requireManifest: true)
        #expect(verdict.valid, "\(verdict.problems)")

        let restored = database + "_r"
        let restore = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: restored)
        #expect(restore.succeeded, "\(restore.summary)")
        #expect(try Self.digests(restored) == source)

        let stock = database + "_psql"
        try TestEnvironment.psql("CREATE DATABASE \(stock)", database: "postgres")
        let cluster = TestEnvironment.sharedCluster.environment
        let loaded = try TestEnvironment.shell("gzip -dc \"$0\" | PGHOST=\"$1\" PGPORT=\"$2\" PGUSER=\"$3\" psql -X -q -v ON_ERROR_STOP=1 -d \"$4\" > /dev/null",
                                               [backup.archive, cluster["PGHOST"] ?? "", cluster["PGPORT"] ?? "", cluster["PGUSER"] ?? "", stock])
        #expect(loaded.exitCode == 0, "\(loaded.standardError)")
        #expect(try Self.digests(stock) == source)
    }

    @Test("with PRA_JOBS=1 pg_dump alone writes the dump (no split), and it restores the same rows")
    func oneJobDoesNotSplit() throws {
        let database = TestEnvironment.databaseName("nosplit")
        try TestEnvironment.psql("CREATE DATABASE \(database)", database: "postgres")
        try TestEnvironment.psql(Self.schema, database: database)
        let directory = TestEnvironment.temporaryDirectory("nosplit")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "1"])
        let backup = try Self.splitBackup(configuration)
        let dump = try TestEnvironment.shell("gzip -dc \"$0\"", [backup.archive])
        // pg_dump's own key (pra makes none) and pg_dump's entry for the big table.
        let manifest = try BackupManifest.load(path: backup.manifest)
        let key = try #require(manifest.restrictKey)
        #expect(dump.stdoutText.contains("\\restrict \(key)\n"))
        #expect(dump.stdoutText.components(separatedBy: "-- Data for Name: ").count - 1 == 4)
        let restore = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_r")
        #expect(restore.succeeded, "\(restore.summary)")
        #expect(try Self.digests(database + "_r") == Self.digests(database))
    }

    @Test("a copying session killed mid-table fails the backup with the server's message; no archive or partial file is left, the earlier backup stays")
    func killedSessionFailsTheBackup() throws {
        let database = TestEnvironment.databaseName("splitkill")
        try TestEnvironment.psql("CREATE DATABASE \(database)", database: "postgres")
        try TestEnvironment.psql(Self.schema, database: database)
        try TestEnvironment.psql(#"SET session_replication_role = replica; INSERT INTO "Odd ""Schema"".x"."Big Table" (id, kind, note) SELECT g, g % 10, repeat('y', 200) FROM generate_series(20001, 400000) g"#, database: database)
        let directory = TestEnvironment.temporaryDirectory("splitkill")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "2"])
        let earlier = try BackupOperation(configuration: configuration).run()
        let earlierFiles = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        sleep(1)  // a new archive name

        // Terminates the first session seen copying a page range.
        let killer = Thread {
            guard let watcher = try? PostgresConnection(try! configuration.connectionSettings(), applicationName: "pra-test") else { return }
            for _ in 0..<6000 {
                if let pid = try? watcher.scalar("SELECT pid FROM pg_stat_activity WHERE application_name = 'pra-backup' AND query LIKE 'COPY (SELECT%ctid%' LIMIT 1") {
                    _ = try? watcher.execute("SELECT pg_terminate_backend(\(pid))")
                    return
                }
                usleep(5_000)
            }
        }
        killer.start()
        var operation = BackupOperation(configuration: configuration)
        operation.splitLimits = .init(minimumTableBytes: 1, pagesPerChunk: 20)
        let failure = #expect(throws: OperationFailure.self) { try operation.run() }
        #expect(failure?.stage == "dump")
        #expect(failure?.message.contains("terminating connection due to administrator command") == true, "\(failure?.message ?? "")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == earlierFiles)
        let verdict = ArchiveVerifier().verify(archivePath: earlier.archive, manifestPath: earlier.manifest, requireManifest: true)
        #expect(verdict.valid)
    }
}
