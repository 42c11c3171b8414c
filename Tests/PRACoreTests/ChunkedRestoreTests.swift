import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The parallel logical restore cuts large tables into chunks that several connections load
/// at once, with at most `RESTORE_SPILL_LIMIT` of spill files on disk.
@Suite("chunked parallel restore", .requires(.postgresServer))
struct ChunkedRestoreTests {
    /// Count and md5 of a table's rows in `order`.
    static func fingerprint(_ table: String, order: String, in database: String) throws -> String {
        try TestEnvironment.psql("SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY \(order))), '-') FROM \(table) t", database: database)
    }

    static func definitions(_ table: String, in database: String) throws -> String {
        try TestEnvironment.psql("""
            SELECT string_agg(d, E'\\n' ORDER BY d) FROM (
              SELECT indexdef AS d FROM pg_indexes WHERE tablename = '\(table)'
              UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '\(table)'::regclass) x
            """, database: database)
    }

    @Test("a table many times the spill limit loads in chunks over several connections at once and restores identically, with its indexes and constraints; the spill never passes the limit")
    func largeTableInChunks() throws {
        let database = try TestEnvironment.fixtureDatabase("chunked", scale: 0.01)
        // About 30 MB of COPY text: 30 chunks of 1 MiB under a 4 MiB limit.
        try TestEnvironment.psql("""
            CREATE TABLE big(id int PRIMARY KEY, grp int NOT NULL CHECK (grp >= 0), payload text NOT NULL);
            INSERT INTO big SELECT i, i % 97, repeat(md5(i::text), 3) FROM generate_series(1, 300000) i;
            CREATE INDEX big_grp ON big(grp);
            """, database: database)
        let directory = TestEnvironment.temporaryDirectory("chunked")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "4", "RESTORE_SPILL_LIMIT": "4MiB"])
        _ = try BackupOperation(configuration: configuration).run()

        let target = database + "_r"
        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target)
        #expect(result.succeeded, "\(result.summary)")
        #expect(result.loadMethod?.hasPrefix("4 connections in parallel (schema, then tables in chunks of 1 MiB") == true, "\(result.loadMethod ?? "nil")")
        let peak = try #require(result.peakSpillBytes)
        #expect(peak > 1 << 20 && peak <= 4 << 20, "peak spill \(peak)")
        #expect(result.spillLimitBytes == 4 << 20)
        // Chunks of one table were loading on two connections or more at the same moment.
        #expect((result.peakConnectionsPerTable ?? 0) >= 2, "\(String(describing: result.peakConnectionsPerTable))")
        // Each chunk commits on its own: many transactions wrote the table's rows.
        let transactions = Int(try TestEnvironment.psql("SELECT count(DISTINCT xmin::text) FROM big", database: target)) ?? 0
        #expect(transactions >= 20, "\(transactions) transactions")
        #expect(try Self.fingerprint("big", order: "id", in: target) == Self.fingerprint("big", order: "id", in: database))
        #expect(try Self.definitions("big", in: target) == Self.definitions("big", in: database))
        #expect(try Self.definitions("big", in: target).contains("big_grp"))
    }

    @Test("a bad row deep inside one chunk of a large table fails the restore with the server's message, leaves the existing target as it was and drops the staging database")
    func badRowInAChunk() throws {
        let database = try TestEnvironment.fixtureDatabase("chunkfail", scale: 0.01)
        try TestEnvironment.psql("""
            CREATE TABLE checked(id int, n int CHECK (n >= 0), pad text);
            INSERT INTO checked SELECT i, i, repeat('p', 100) FROM generate_series(1, 100000) i;
            """, database: database)
        let directory = TestEnvironment.temporaryDirectory("chunkfail")
        let plain = directory + "/crafted.sql"
        let env = TestEnvironment.environment(database: database, backupDirectory: directory)
        try ExternalProcess(executable: try PostgresBinaries().locate("pg_dump"), arguments: ["-f", plain, database], environment: env).runChecked()
        // Row 70000 (about 7 MiB into the table's data: a later chunk) now breaks the CHECK.
        var text = try String(contentsOfFile: plain, encoding: .utf8)
        let row = try #require(text.range(of: "\n70000\t70000\t"))
        text.replaceSubrange(row, with: "\n70000\t-1\t")
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        try ExternalProcess(executable: "/bin/gzip", arguments: [plain]).runChecked()

        let target = database + "_r"
        try TestDatabases.markerDatabase(target, label: "before")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "3", "RESTORE_SPILL_LIMIT": "4MiB"])
        let result = try RestoreOperation(configuration: configuration).run(source: .file(plain + ".gz"), targetDatabase: target, force: true)
        #expect(!result.succeeded)
        #expect(result.failedStage == "load")
        #expect(result.loadMethod?.hasPrefix("3 connections") == true, "\(result.loadMethod ?? "nil")")
        #expect(result.failure?.contains("violates check constraint \"checked_n_check\"") == true, "\(result.failure ?? "nil")")
        #expect(try TestEnvironment.psql("SELECT label FROM marker", database: target) == "before")
        #expect(try !TestDatabases.exists(target + "__pra_restoring"))
    }

    @Test("a 40 MB row (longer than a chunk and than the limit), values that read like \\. and an empty table restore identically")
    func awkwardData() throws {
        let database = try TestEnvironment.fixtureDatabase("chunkodd", scale: 0.01)
        try TestEnvironment.psql("""
            CREATE TABLE odd(id int PRIMARY KEY, v text);
            INSERT INTO odd VALUES (1, E'\\\\.'), (2, E'a\\n\\\\.\\nb'), (3, E'\\\\.\\r'), (4, '.'), (5, E'\\n\\\\.\\n');
            INSERT INTO odd SELECT i, 'filler ' || i FROM generate_series(6, 60000) i;
            INSERT INTO odd VALUES (60001, repeat('z', 40000000)), (60002, 'after the long one');
            CREATE TABLE nothing(x int PRIMARY KEY);
            """, database: database)
        let directory = TestEnvironment.temporaryDirectory("chunkodd")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["PRA_JOBS": "3", "RESTORE_SPILL_LIMIT": "4MiB"])
        _ = try BackupOperation(configuration: configuration).run()

        let target = database + "_r"
        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target)
        #expect(result.succeeded, "\(result.summary)")
        #expect(result.loadMethod?.hasPrefix("3 connections") == true, "\(result.loadMethod ?? "nil")")
        // The 40 MB row is spilled whole: the only case that passes the limit, and it is reported.
        #expect((result.peakSpillBytes ?? 0) >= 40_000_000, "\(String(describing: result.peakSpillBytes))")
        #expect(try Self.fingerprint("odd", order: "id", in: target) == Self.fingerprint("odd", order: "id", in: database))
        #expect(try TestEnvironment.psql("SELECT v FROM odd WHERE id = 2", database: target) == "a\n\\.\nb")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM nothing", database: target) == "0")
        #expect(try Self.definitions("nothing", in: target) == Self.definitions("nothing", in: database))
    }
}
