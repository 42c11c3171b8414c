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
            id bigint PRIMARY KEY, kind int REFERENCES public.kinds (id), gone int, "Odd ""col""" text DEFAULT E'q"\\t', note text, f float8, b bytea,
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
        // Largest first; the empty table (no page) is left to pg_dump.
        #expect(backup.parallelCopies.first == "\"Odd \"\"Schema\"\".x\".\"Big Table\"")
        #expect(Set(backup.parallelCopies) == ["\"Odd \"\"Schema\"\".x\".\"Big Table\"", "public.kinds", "public.small"])
        #expect(backup.copySessions == 2 && backup.summary.hasSuffix("; the rows of 3 large tables copied over 2 sessions"))
        let dump = try TestEnvironment.shell("gzip -dc \"$0\"", [backup.archive])
        #expect(dump.exitCode == 0)
        let lines = dump.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        func count(_ prefix: String) -> Int { lines.filter { $0.hasPrefix(prefix) }.count }
        #expect(count("\\restrict ") == 1 && count("\\unrestrict ") == 1)
        #expect(count("-- Dumped from") == 1 && count("-- PostgreSQL database dump complete") == 1 && count("SET statement_timeout") == 1)
        // Every table's data is one entry, the split ones by pra (a page-range COPY never shows).
        #expect(count("-- Data for Name: Big Table; Type: TABLE DATA; Schema: Odd \"Schema\".x;") == 1)
        #expect(count("COPY \"Odd \"\"Schema\"\".x\".\"Big Table\" (id, kind, \"Odd \"\"col\"\"\", note, f, b, at, span) FROM stdin;") == 1)
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
        #expect(backup.parallelCopies.isEmpty && !backup.summary.contains("copied over"))
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

    @Test("rows written while the backup runs are read as of the dump's snapshot by pg_dump and the copying sessions alike: no row twice, none from after it, transfers balanced")
    func concurrentWritesReadAsOfTheSnapshot() throws {
        let database = TestEnvironment.databaseName("splitmvcc")
        try TestEnvironment.psql("CREATE DATABASE \(database)", database: "postgres")
        // Split (past 512 KiB): 400 accounts holding 4,000,000 in all, which transfers keep, each
        // update writing a new row version on another page; a ledger. Left to pg_dump: a journal
        // that gets the same ids as the ledger in the same transactions.
        try TestEnvironment.psql("""
            CREATE TABLE public.accounts (id int PRIMARY KEY, balance bigint NOT NULL, filler text);
            INSERT INTO public.accounts SELECT g, 10000, repeat('f', 1500) FROM generate_series(1, 400) g;
            CREATE TABLE public.ledger (id int PRIMARY KEY, note text);
            INSERT INTO public.ledger SELECT g, repeat('l', 200) FROM generate_series(1, 30000) g;
            CREATE TABLE public.journal (id int PRIMARY KEY);
            """, database: database)
        let directory = TestEnvironment.temporaryDirectory("splitmvcc")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "2"])

        let stop = StopFlag()
        let writer = Thread {
            guard let session = try? PostgresConnection(try! configuration.connectionSettings(), applicationName: "pra-test-writer") else { return }
            var turn = 0
            while !stop.isSet {
                turn += 1
                let from = turn % 400 + 1, to = (turn * 7) % 400 + 1, id = 30000 + turn
                _ = try? session.execute("""
                    BEGIN; UPDATE public.accounts SET balance = balance - 5 WHERE id = \(from); UPDATE public.accounts SET balance = balance + 5 WHERE id = \(to);
                    INSERT INTO public.ledger VALUES (\(id), 'new'); INSERT INTO public.journal VALUES (\(id)); COMMIT
                    """)
            }
        }
        writer.start()
        defer { stop.set() }
        // The writer is under way before the backup starts.
        for _ in 0..<200 {
            if (Int(try TestEnvironment.psql("SELECT count(*) FROM public.journal", database: database)) ?? 0) >= 20 { break }
            usleep(50_000)
        }
        var operation = BackupOperation(configuration: configuration)
        operation.splitLimits = .init(minimumTableBytes: 512 * 1024, pagesPerChunk: 2)
        let backup = try operation.run()
        stop.set()
        #expect(Set(backup.parallelCopies) == ["public.accounts", "public.ledger"])

        let restored = database + "_r"
        let restore = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: restored)
        #expect(restore.succeeded, "\(restore.summary)")  // the primary keys were built: no row twice
        #expect(try TestEnvironment.psql("SELECT count(*) || ' ' || sum(balance) FROM public.accounts", database: restored) == "400 4000000")
        // The ledger's new rows are exactly the journal's: the sessions saw pg_dump's snapshot.
        let journal = try TestEnvironment.psql("SELECT count(*) FROM public.journal", database: restored)
        #expect(Int(journal) ?? 0 > 0, "the writer committed nothing before the snapshot")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM public.ledger l FULL JOIN public.journal j ON j.id = l.id WHERE l.id > 30000 AND j.id IS NULL OR l.id IS NULL", database: restored) == "0")
        #expect(restore.checks.first { $0.name == "integrity" }?.passed == true)
    }

    @Test("a copying session killed mid-table fails the backup with the server's message (or the connection's loss); no archive or partial file is left, the earlier backup stays")
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
                if let pid = try? watcher.scalar("SELECT pid FROM pg_stat_activity WHERE application_name = 'pra-backup' AND datname = '\(database)' AND query LIKE 'COPY (SELECT%ctid%' LIMIT 1") {
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
        // The server's message when the session read it before the socket closed, else the loss.
        let message = failure?.message ?? ""
        #expect(message.contains("terminating connection due to administrator command") || message.contains("connection to PostgreSQL lost"), "\(message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == earlierFiles)
        let verdict = ArchiveVerifier().verify(archivePath: earlier.archive, manifestPath: earlier.manifest, requireManifest: true)
        #expect(verdict.valid)
    }
}

/// A flag one thread sets and another reads.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
