import Foundation
import PRACore
import PRATestSupport
import Testing

/// `pra backup --full` through the binary with its default bar: a table of more than 64 MiB has
/// its rows copied over `PRA_JOBS` sessions, and the archive restores every row.
@Suite("split full backups through the binary", .requires(.postgresServer))
struct SplitBackupCLITests {
    @Test("a table past 64 MiB is copied over PRA_JOBS=2 sessions (the summary says so) and restores with every row; PRA_JOBS=1 leaves it to pg_dump")
    func defaultBarSplitsALargeTable() throws {
        let database = TestEnvironment.databaseName("splitcli")
        try TestEnvironment.psql("CREATE DATABASE \(database)", database: "postgres")
        // About 73 MiB of pages: two ranges of 8,192 pages.
        try TestEnvironment.psql("CREATE TABLE public.big (id int PRIMARY KEY, pad text); INSERT INTO public.big SELECT g, repeat(md5(g::text), 28) FROM generate_series(1, 75000) g;", database: database)
        let digest = "SELECT count(*) || ' ' || md5(string_agg(id::text || pad, ',' ORDER BY id)) FROM public.big"
        let expected = try TestEnvironment.psql(digest, database: database)
        let directory = TestEnvironment.temporaryDirectory("splitcli")
        var environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: [Setting.praJobs.name: "2"])

        let backup = try PraBinary.run(["backup", "--full"], environment: environment)
        #expect(backup.exitCode == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("; the rows of 1 large table copied over 2 sessions"), "\(backup.stdout)")
        let restore = try PraBinary.run(["restore", "--latest", "--target-db", database + "_r"], environment: environment)
        #expect(restore.exitCode == 0, "\(restore.stderr)")
        #expect(try TestEnvironment.psql(digest, database: database + "_r") == expected)

        sleep(1)  // a new archive name
        environment[Setting.praJobs.name] = "1"
        let single = try PraBinary.run(["backup", "--full"], environment: environment)
        #expect(single.exitCode == 0 && !single.stdout.contains("copied over"), "\(single.stdout) \(single.stderr)")
    }
}
