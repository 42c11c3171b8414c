import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("restore over several connections", .requires(.postgresServer))
struct ParallelRestoreTests {
    /// The whole dump (schema, data, sequence values), without pg_dump's random restrict key.
    static func fullDump(_ database: String) throws -> String {
        let env = TestEnvironment.environment(database: database, backupDirectory: "/tmp")
        let outcome = try ExternalProcess(executable: try PostgresBinaries().locate("pg_dump"), arguments: [database], environment: env).runChecked()
        return outcome.stdoutText.split(separator: "\n").filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
    }

    @Test("a parallel restore gives the same database as the source and as a one-connection restore, even when bodies and comments look like dump entries")
    func sameAsOneConnection() throws {
        let database = try TestEnvironment.fixtureDatabase("parallel", scale: 0.02)
        // Text that looks like entry headers, COPY statements, settings and meta-commands,
        // inside a function body, a comment and data: the split must follow psql's lexing.
        try TestEnvironment.psql("""
            CREATE FUNCTION tricky() RETURNS text LANGUAGE plpgsql AS $body$
            BEGIN
            -- Name: fake; Type: TABLE DATA; Schema: public; Owner: -
            RETURN '
            COPY fake (x) FROM stdin;
            SET search_path = nowhere;
            ';
            END
            $body$;
            CREATE TABLE lookalike(id serial PRIMARY KEY, note text);
            INSERT INTO lookalike(note) VALUES (E'line\\n-- Name: x; Type: INDEX; Schema: public; Owner: -\\nSET default_tablespace = ''nowhere'';'), (E'\\\\.'), ('');
            CREATE TABLE empty_one(x int);
            CREATE INDEX lookalike_note ON lookalike(note);
            COMMENT ON INDEX lookalike_note IS E'first\\nSET search_path = nowhere;\\n-- Name: y; Type: CONSTRAINT; Schema: public; Owner: -';
            SELECT setval('lookalike_id_seq', 4242);
            """, database: database)
        let directory = TestEnvironment.temporaryDirectory("parallel")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "3"])
        _ = try BackupOperation(configuration: configuration).run()

        let parallel = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_p")
        #expect(parallel.succeeded, "\(parallel.summary)")
        #expect(parallel.loadMethod?.hasPrefix("3 connections in parallel") == true, "\(parallel.loadMethod ?? "nil")")

        let single = try RestoreOperation(configuration: try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "1"]))
            .run(source: .latest, targetDatabase: database + "_s")
        #expect(single.succeeded, "\(single.summary)")
        #expect(single.loadMethod == "one connection (PRA_JOBS=1)")

        let source = try Self.fullDump(database)
        #expect(try Self.fullDump(database + "_p") == source)
        #expect(try Self.fullDump(database + "_s") == source)
        #expect(try TestEnvironment.psql("SELECT last_value FROM lookalike_id_seq", database: database + "_p") == "4242")
    }

    @Test("a file that is not pg_dump output loads over one connection, and says why")
    func notPgDumpFallsBack() throws {
        let database = try TestEnvironment.fixtureDatabase("notdump", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("notdump")
        let sql = "CREATE TABLE handmade(x int);\nINSERT INTO handmade VALUES (1), (2);\n--\n-- PostgreSQL database dump complete\n--\n"
        let path = directory + "/handmade.sql"
        try sql.write(toFile: path, atomically: true, encoding: .utf8)
        try ExternalProcess(executable: "/bin/gzip", arguments: [path]).runChecked()
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "2"])
        let result = try RestoreOperation(configuration: configuration).run(source: .file(path + ".gz"), targetDatabase: database + "_r")
        #expect(result.loadMethod?.hasPrefix("one connection (the file does not start as a pg_dump plain-format dump does") == true, "\(result.loadMethod ?? "nil")")
        #expect(result.failedStage == nil, "\(result.summary)")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM handmade", database: database + "_r") == "2")
    }

    @Test("a table that fails to load on a worker fails the restore and leaves no database behind")
    func workerFailure() throws {
        let database = try TestEnvironment.fixtureDatabase("workerfail", scale: 0.01)
        try TestEnvironment.psql("CREATE TABLE numbers(x int); INSERT INTO numbers SELECT generate_series(1, 5)", database: database)
        let directory = TestEnvironment.temporaryDirectory("workerfail")
        let plain = directory + "/broken.sql"
        let env = TestEnvironment.environment(database: database, backupDirectory: directory)
        try ExternalProcess(executable: try PostgresBinaries().locate("pg_dump"), arguments: ["-f", plain, database], environment: env).runChecked()
        // A stock dump, damaged the way a hand edit would: one row no longer an integer.
        var text = try String(contentsOfFile: plain, encoding: .utf8)
        let copy = try #require(text.range(of: "COPY public.numbers (x) FROM stdin;\n1\n2\n"))
        text.replaceSubrange(copy, with: "COPY public.numbers (x) FROM stdin;\n1\ntwo\n")
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        try ExternalProcess(executable: "/bin/gzip", arguments: [plain]).runChecked()

        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "2"])
        let target = database + "_r"
        let result = try RestoreOperation(configuration: configuration).run(source: .file(plain + ".gz"), targetDatabase: target)
        #expect(!result.succeeded)
        #expect(result.failedStage == "load")
        #expect(result.loadMethod?.hasPrefix("2 connections") == true)
        #expect(result.failure?.contains("invalid input syntax for type integer") == true, "\(result.failure ?? "nil")")
        let databases = try TestEnvironment.psql("SELECT string_agg(datname, ',') FROM pg_database", database: "postgres")
        #expect(!databases.contains(target))
    }

    @Test("a spill directory left by a restore killed outright is removed by the next one, a live one's is kept")
    func orphanedSpills() throws {
        // A pid no process has.
        var deadPid: pid_t = 4_000_000
        while kill(deadPid, 0) == 0 || errno != ESRCH { deadPid += 1 }
        let orphan = (RestoreOperation.spillParent as NSString).appendingPathComponent("pra-restore-\(deadPid)-abcdef")
        let live = (RestoreOperation.spillParent as NSString).appendingPathComponent("pra-restore-\(getppid())-abcdef")
        // As mkdtemp makes them: 0700.
        for path in [orphan, live] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
        // One planted by another account in a shared TMPDIR (here: open to others) is never deleted through.
        let planted = (RestoreOperation.spillParent as NSString).appendingPathComponent("pra-restore-\(deadPid)-planted")
        try FileManager.default.createDirectory(atPath: planted, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        defer { for path in [live, planted] { try? FileManager.default.removeItem(atPath: path) } }
        RestoreOperation.removeOrphanedSpills()
        #expect(!FileManager.default.fileExists(atPath: orphan))
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: planted))
    }

    @Test("entry headers are read as pg_dump writes them")
    func entryTypes() {
        #expect(ParallelDumpLoader.entryType(Array("-- Name: users_pkey; Type: CONSTRAINT; Schema: public; Owner: app\n".utf8)) == "CONSTRAINT")
        #expect(ParallelDumpLoader.entryType(Array("-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: app\n".utf8)) == "TABLE DATA")
        #expect(ParallelDumpLoader.entryType(Array("-- Name: fk; Type: FK CONSTRAINT; Schema: public; Owner: app\n".utf8)) == "FK CONSTRAINT")
        #expect(ParallelDumpLoader.entryType(Array("-- just a comment\n".utf8)) == nil)
        #expect(ParallelDumpLoader.copyTarget(Array("COPY public.users (id, name) FROM stdin;\n".utf8)) == "public.users")
        #expect(ParallelDumpLoader.copyTarget(Array("COPY \"My \"\"odd\"\" schema\".\"t.x\" (id) FROM stdin;\n".utf8)) == "\"My \"\"odd\"\" schema\".\"t.x\"")
        #expect(ParallelDumpLoader.copyTarget(Array("COPY \"unterminated (id) FROM stdin;\n".utf8)) == nil)
        #expect(ParallelDumpLoader.foreignKeyTables("ALTER TABLE ONLY public.charges\n    ADD CONSTRAINT c_fkey FOREIGN KEY (contract_id) REFERENCES public.contracts(id);\n") == ["public.charges", "public.contracts"])
        #expect(ParallelDumpLoader.foreignKeyTables("ALTER TABLE public.parted\n    ADD CONSTRAINT p_fkey FOREIGN KEY (x) REFERENCES \"Odd\".t(id);\n") == ["*"])
        #expect(ParallelDumpLoader.indexedTable("SET default_tablespace = '';\nCREATE INDEX users_email ON public.users USING btree (email);\n") == "public.users")
        #expect(ParallelDumpLoader.indexedTable("CREATE UNIQUE INDEX p_idx ON ONLY public.parted USING btree (x);\n") == "public.parted")
        #expect(ParallelDumpLoader.indexedTable("ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_pkey PRIMARY KEY (id);\n") == "public.users")
        #expect(ParallelDumpLoader.indexedTable("CREATE INDEX \"odd ON x\" ON public.t USING btree (x);\n") == nil)
        #expect(ParallelDumpLoader.unsplittableReason(head: Array("--\n-- PostgreSQL database dump\n--\n".utf8)) == nil)
        #expect(ParallelDumpLoader.unsplittableReason(head: Array("CREATE TABLE t(x int);\n".utf8)) != nil)
    }
}
