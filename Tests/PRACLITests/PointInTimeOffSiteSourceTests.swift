import Foundation
import PRACore
import PRAHarness
import PRATestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The worst day: the site is lost (the cluster, its WAL archive and every local backup), and
/// only the off-site copy in the bucket survives. Point-in-time recovery from it alone.
@Suite("site loss: point-in-time recovery from the bucket alone", .serialized, .requires(.postgresServer, .seaweedfs))
struct PointInTimeOffSiteSourceTests {
    @Test("cluster and BACKUP_DIR deleted: restore --pitr to a mark as psql prints it brings back exactly the rows committed before it; to the latest point every archived row")
    func recoverFromTheBucketAlone() throws {
        let s3 = try LoopbackS3Server.start()
        let bucket = try s3.makeBucket("siteloss")
        let remote = s3.environment(bucket: bucket)
        let directory = TestEnvironment.temporaryDirectory("siteloss")
        chmod(directory, 0o755)
        let backupDirectory = directory + "/backups"
        // archive_command reads REMOTE_TARGET and the keys from a private env file, never from argv.
        let envFile = directory + "/archive.env"
        try remote.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
            .write(toFile: envFile, atomically: true, encoding: .utf8)
        chmod(envFile, 0o600)
        let command = ShellCommandLine.postgresCommand([.literal(PraBinary.path), "wal", "push", .placeholder("%p"),
                                                        "--backup-dir", .literal(backupDirectory), "--env-file", .literal(envFile)])
        var settings = ScratchCluster.archivingSettings(praExecutable: PraBinary.path, backupDirectory: backupDirectory, archiveTimeout: 1)
        settings["archive_command"] = ShellCommandLine.configurationValue(command)
        let cluster = try ScratchCluster(settings: settings, preparing: { cluster in
            try cluster.grantServerAccess(to: backupDirectory)
            if let user = cluster.serverUser, let account = getpwnam(user) { chown(envFile, account.pointee.pw_uid, account.pointee.pw_gid) }
        })
        let database = try TestEnvironment.fixtureDatabase("siteloss", scale: 0.01, on: cluster)
        let environment = TestEnvironment.environment(cluster: cluster, database: database, backupDirectory: backupDirectory, extra: remote)
        func sql(_ statement: String) throws -> String { try TestEnvironment.psql(statement, database: database, cluster: cluster) }
        func pra(_ arguments: [String]) throws -> PraBinary.Result { try PraBinary.run(arguments, environment: environment, timeout: 300) }

        try sql("CREATE TABLE site_marks (n int PRIMARY KEY, written timestamptz NOT NULL DEFAULT clock_timestamp())")
        let base = try pra(["backup", "--base", "--json"])
        #expect(base.exitCode == 0, "\(base.stdout)\(base.stderr)")
        try sql("INSERT INTO site_marks (n) SELECT generate_series(1, 100)")
        usleep(1_100_000)
        let mark = try sql("SELECT now()")   // as psql prints it: 2026-12-06 18:00:55.702249+00
        #expect(mark.contains(" ") && mark.hasSuffix("+00"), "\(mark)")
        usleep(1_100_000)
        try sql("INSERT INTO site_marks (n) SELECT generate_series(101, 250)")
        // The segment holding the last insert, closed and copied off-site (synchronous copy).
        let last = try sql("SELECT pg_walfile_name(pg_switch_wal())")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !(try s3.keys(bucket: bucket)).contains(where: { $0.hasPrefix("pra/wal/\(last)") }) { usleep(200_000) }
        #expect(try s3.keys(bucket: bucket).contains { $0.hasPrefix("pra/wal/\(last)") }, "segment \(last) never reached the bucket")

        // The site is lost: the server, its data directory and BACKUP_DIR with every local backup and WAL.
        cluster.crash()
        try cluster.wipeDataDirectory()
        try FileManager.default.removeItem(atPath: backupDirectory)

        let toMark = directory + "/to-mark"
        let restore = try pra(["restore", "--pitr", "--target-dir", toMark, "--target-time", mark, "--json"])
        defer { Self.stop(toMark) }
        #expect(restore.exitCode == 0, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stdout.contains("s3://\(bucket)/pra"), "the result says the base backup came from the bucket: \(restore.stdout)")
        #expect(try Self.scalar("SELECT count(*) FROM site_marks", restore: restore, directory: toMark, database: database) == "100")
        Self.stop(toMark)

        let toLatest = directory + "/to-latest"
        let latest = try pra(["restore", "--pitr", "--target-dir", toLatest, "--json"])
        defer { Self.stop(toLatest) }
        #expect(latest.exitCode == 0, "\(latest.stdout)\(latest.stderr)")
        #expect(try Self.scalar("SELECT count(*) FROM site_marks", restore: latest, directory: toLatest, database: database) == "250")

        let everything = [base, restore, latest].map { $0.stdout + $0.stderr }.joined()
        #expect(!everything.contains(s3.secretKey), "the secret key never appears")
        for target in [toMark, toLatest] {
            let auto = (try? String(contentsOfFile: target + "/postgresql.auto.conf", encoding: .utf8)) ?? ""
            #expect(!auto.contains(s3.secretKey), "no secret in \(target)/postgresql.auto.conf")
        }
    }

    static func scalar(_ query: String, restore: PraBinary.Result, directory: String, database: String) throws -> String {
        let port = try #require(restore.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "\"port\" : ") else { return nil }
            return String(line[range.upperBound...].prefix { $0.isNumber })
        }.first)
        let settings = ConnectionSettings(parameters: ["host": directory, "port": port, "user": "postgres", "dbname": database])
        return try #require(try PostgresConnection(settings, applicationName: "test").scalar(query))
    }

    static func stop(_ directory: String) {
        let control = ServerControl(dataDirectory: directory, logFile: "/dev/null", binDirectory: ((try? PostgresBinaries().locate("pg_ctl")) as NSString?)?.deletingLastPathComponent ?? "", user: nil)
        if let pid = control.postmasterPID { kill(pid, SIGKILL) }
    }
}
