import Foundation
import PRATestSupport
import Testing

@testable import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// `REMOTE_TARGET=s3://...` end to end through the `pra` binary, against SeaweedFS.
@Suite("S3 off-site copies through pra", .serialized, .requires(.postgresServer, .seaweedfs))
struct S3CLITests {
    /// A database, a backup directory and the variables pointing pra at a fresh bucket.
    struct Setup {
        var server: LoopbackS3Server
        var bucket: String
        var database: String
        var directory: String
        var environment: [String: String]
    }

    static func setup(_ label: String, scale: Double = 0.01) throws -> Setup {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket(label)
        let database = try TestEnvironment.fixtureDatabase(label, scale: scale)
        let directory = TestEnvironment.temporaryDirectory(label)
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory + "/backups", extra: server.environment(bucket: bucket))
        return Setup(server: server, bucket: bucket, database: database, directory: directory, environment: environment)
    }

    @Test("backup copies to the bucket (manifest last), status reports the remote copy's age, verify --remote checks it, and restore --latest recovers from the bucket alone")
    func backupVerifyStatusRestore() throws {
        let setup = try Self.setup("s3cli")
        let backup = try PraBinary.run(["backup", "--full"], environment: setup.environment)
        #expect(backup.exitCode == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("remote copy verified: ") && backup.stdout.contains("on s3://\(setup.bucket)/pra"), "\(backup.stdout)")
        let local = BackupCatalogue(directory: setup.directory + "/backups").complete
        let name = try #require(local.first).name
        #expect(Set(try setup.server.keys(bucket: setup.bucket)) == ["pra/\(name.fileName)", "pra/\(name.manifestFileName)"])

        let status = try PraBinary.run(["status", "--json"], environment: setup.environment)
        #expect(status.stdout.contains("remote copy age") && status.stdout.contains("newest remote copy \(name.fileName) on s3://\(setup.bucket)/pra"), "\(status.stdout)")

        let verify = try PraBinary.run(["verify", "--remote"], environment: setup.environment)
        #expect(verify.exitCode == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("remote \(name.fileName): valid"), "\(verify.stdout)")

        // The site is lost: no local backup at all. The bucket alone brings the database back.
        try FileManager.default.removeItem(atPath: setup.directory + "/backups")
        try FileManager.default.createDirectory(atPath: setup.directory + "/backups", withIntermediateDirectories: true)
        let target = setup.database + "_froms3"
        let restore = try PraBinary.run(["restore", "--latest", "--target-db", target], environment: setup.environment)
        #expect(restore.exitCode == 0, "\(restore.stdout)\(restore.stderr)")
        let rows = try TestEnvironment.psql("SELECT count(*) FROM users", database: target)
        #expect(rows == (try TestEnvironment.psql("SELECT count(*) FROM users", database: setup.database)))

        let everything = backup.stdout + backup.stderr + status.stdout + status.stderr + verify.stdout + verify.stderr + restore.stdout + restore.stderr
        #expect(!everything.contains(setup.server.secretKey), "the secret key never appears")
    }

    @Test("a corrupted object in the bucket: verify --remote says INVALID and exits 1")
    func verifyRemoteFindsCorruption() throws {
        let setup = try Self.setup("s3corrupt")
        #expect(try PraBinary.run(["backup", "--full"], environment: setup.environment).exitCode == 0)
        let name = try #require(BackupCatalogue(directory: setup.directory + "/backups").complete.first).name
        var bytes = try Data(contentsOf: URL(fileURLWithPath: setup.directory + "/backups/" + name.fileName))
        bytes[bytes.count / 2] ^= 0xff
        _ = try setup.server.client(bucket: setup.bucket).send("PUT", key: "pra/\(name.fileName)", body: bytes)
        let verify = try PraBinary.run(["verify", "--remote"], environment: setup.environment)
        #expect(verify.exitCode == 1, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("remote \(name.fileName): INVALID"), "\(verify.stdout)")
    }

    @Test("wrong credentials: backup exits 3 (local backup complete), the error names bucket, key, HTTP 403 and the S3 code, never the secret")
    func deniedCredentials() throws {
        var setup = try Self.setup("s3denied")
        setup.environment["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-value"
        let backup = try PraBinary.run(["backup", "--full"], environment: setup.environment)
        #expect(backup.exitCode == 3, "\(backup.stderr)")
        #expect(backup.stderr.contains("s3://\(setup.bucket)/pra") && backup.stderr.contains("HTTP 403"), "\(backup.stderr)")
        #expect(backup.stderr.contains("SignatureDoesNotMatch") || backup.stderr.contains("AccessDenied") || backup.stderr.contains("InvalidAccessKeyId"), "\(backup.stderr)")
        #expect(!backup.stderr.contains("wrong-secret-value") && !backup.stdout.contains("wrong-secret-value"))
        #expect(BackupCatalogue(directory: setup.directory + "/backups").complete.count == 1)
    }

    @Test("interoperability with the aws CLI: what pra uploads, aws s3 cp downloads and gunzip | psql restores; what aws s3 cp uploads in pra's layout, pra restores", .requires(.awscli))
    func awsInteroperability() throws {
        let setup = try Self.setup("s3aws")
        #expect(try PraBinary.run(["backup", "--full"], environment: setup.environment).exitCode == 0)
        let name = try #require(BackupCatalogue(directory: setup.directory + "/backups").complete.first).name
        let awsEnvironment = TestEnvironment.baseEnvironment(["AWS_ACCESS_KEY_ID": setup.server.accessKey, "AWS_SECRET_ACCESS_KEY": setup.server.secretKey,
                                                              "AWS_DEFAULT_REGION": setup.server.region, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"])
        func aws(_ arguments: [String]) throws -> ExternalProcess.Outcome {
            try ExternalProcess(executable: try #require(LoopbackS3Server.aws), arguments: ["--endpoint-url", setup.server.endpoint, "--only-show-errors"] + arguments,
                                environment: awsEnvironment, timeout: 300).run()
        }
        let downloaded = setup.directory + "/aws-download.sql.gz"
        let get = try aws(["s3", "cp", "s3://\(setup.bucket)/pra/\(name.fileName)", downloaded])
        #expect(get.exitCode == 0, "\(get.standardError)")
        let plain = TestEnvironment.databaseName("s3awsplain")
        try TestEnvironment.psql("CREATE DATABASE \(plain)", database: "postgres")
        var psqlEnvironment = TestEnvironment.sealed()
        for (key, value) in TestEnvironment.sharedCluster.environment { psqlEnvironment[key] = value }
        psqlEnvironment["PGDATABASE"] = plain
        let psql = try PostgresBinaries().locate("psql")
        // gunzip -c FILE | psql, as by hand: two processes joined by a pipe.
        let gunzip = Process(), load = Process(), pipe = Pipe()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gunzip")
        gunzip.arguments = ["-c", downloaded]
        gunzip.standardOutput = pipe
        load.executableURL = URL(fileURLWithPath: psql)
        load.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1"]
        load.environment = psqlEnvironment
        load.standardInput = pipe
        load.standardOutput = FileHandle.nullDevice
        try load.run()
        try gunzip.run()
        gunzip.waitUntilExit()
        load.waitUntilExit()
        #expect(gunzip.terminationStatus == 0 && load.terminationStatus == 0)
        #expect(try TestEnvironment.psql("SELECT count(*) FROM users", database: plain) == (try TestEnvironment.psql("SELECT count(*) FROM users", database: setup.database)))

        // The other way: a bucket filled by aws s3 cp, pra restores from it.
        let other = try setup.server.makeBucket("s3awsup")
        for file in [name.fileName, name.manifestFileName] {
            let put = try aws(["s3", "cp", setup.directory + "/backups/" + file, "s3://\(other)/offsite/\(file)"])
            #expect(put.exitCode == 0, "\(put.standardError)")
        }
        var environment = setup.environment
        environment.merge(setup.server.environment(bucket: other, prefix: "offsite")) { $1 }
        environment["BACKUP_DIR"] = setup.directory + "/empty-site"
        try FileManager.default.createDirectory(atPath: setup.directory + "/empty-site", withIntermediateDirectories: true)
        let target = setup.database + "_fromaws"
        let restore = try PraBinary.run(["restore", "--latest", "--target-db", target], environment: environment)
        #expect(restore.exitCode == 0, "\(restore.stdout)\(restore.stderr)")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM users", database: target) == (try TestEnvironment.psql("SELECT count(*) FROM users", database: setup.database)))
    }
}
