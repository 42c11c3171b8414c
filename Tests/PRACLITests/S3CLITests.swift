import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

#if canImport(Glibc)
import Glibc
#endif

/// `REMOTE_TARGET=s3://...` end to end through the `pra` binary, against SeaweedFS.
@Suite("S3 off-site copies through pra", .serialized, .requires(.postgresServer, .seaweedfs))
struct S3CLITests {
    /// A database, a backup directory and the variables pointing pra at a fresh bucket.
    struct Setup {
        var server: SeaweedFSServer
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

    @Test("wal push copies each WAL file to s3://bucket/prefix/wal, checked by the store")
    func walPush() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("s3wal")
        let archiving = try ArchivingCluster(label: "s3wal")
        let name = try archiving.switchAndWait()
        let archived = try #require(try archiving.archive.find(WALFileName(name)!))
        let work = TestEnvironment.temporaryDirectory("s3wal-w")
        #expect(try archiving.pra(["wal", "get", name, work + "/" + name]).exitCode == 0)
        let pushed = try archiving.pra(["wal", "push", work + "/" + name, "--json"], extra: server.environment(bucket: bucket))
        #expect(pushed.exitCode == 0, "\(pushed.stderr)")
        #expect(pushed.stdout.contains("\"remoteTarget\" : \"s3://\(bucket)/pra/wal\""), "\(pushed.stdout)")
        let key = "pra/wal/" + (archived.path as NSString).lastPathComponent
        // The marker naming the cluster's database system is written with the first copy.
        #expect(try server.keys(bucket: bucket) == [key, "pra/wal/archive.json"])
        let store = try #require(try RemoteTarget("s3://\(bucket)/pra/wal").store(configuration: Configuration(envFile: TestEnvironment.noEnvFile, environment: server.environment(bucket: bucket))) as? S3RemoteStore)
        #expect(try store.digest(of: (archived.path as NSString).lastPathComponent, partial: false, readBack: true) == FileDigest(path: archived.path))
    }

    /// Peak resident memory of process `pid` so far (VmHWM), in bytes; nil once it is gone.
    static func peakRSS(_ pid: Int32) -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = UInt64(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }

    /// Starts `pra arguments` with `environment` (sealed like PraBinary.run).
    static func spawn(_ arguments: [String], environment: [String: String], output: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PraBinary.path)
        process.arguments = PraBinary.sealed(arguments)
        process.environment = environment
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: output + ".err")
        try process.run()
        return process
    }

    @Test("a 200 MiB archive goes up in parts with peak RSS under 64 MiB; a backup killed with kill -9 during its upload leaves nothing that looks complete")
    func largeUploadAndKill() throws {
        let setup = try Self.setup("s3large", scale: 0.01)
        // About 200 MiB of random bytes (pg_dump writes them as hex; gzip -1 brings that back to a little over 200 MiB).
        try TestEnvironment.psql("""
            CREATE TABLE blob (id int PRIMARY KEY, b bytea);
            INSERT INTO blob SELECT i, (SELECT decode(string_agg(md5(random()::text || i || j), ''), 'hex') FROM generate_series(1, 65536) j) FROM generate_series(1, 200) i;
            """, database: setup.database)
        var environment = setup.environment
        environment["BACKUP_COMPRESSION_LEVEL"] = "1"
        let log = setup.directory + "/backup.out"
        let backup = try Self.spawn(["backup", "--full"], environment: environment, output: log)
        var peak: UInt64 = 0
        while backup.isRunning {
            if let rss = Self.peakRSS(backup.processIdentifier) { peak = max(peak, rss) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        backup.waitUntilExit()
        #expect(backup.terminationStatus == 0, "\((try? String(contentsOfFile: log + ".err", encoding: .utf8)) ?? "")")
        let first = try #require(BackupCatalogue(directory: setup.directory + "/backups").complete.first)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: first.archivePath)[.size] as? UInt64)
        #expect(size >= 200 << 20, "the archive is \(size) bytes")
        #expect(peak > 0 && peak < 64 << 20, "peak RSS \(peak / 1024) KiB")
        print("S3 200 MiB upload: archive \(size) bytes, pra peak RSS \(peak / 1024) KiB")

        // kill -9 while the next backup's upload is in flight (seen as a pending multipart upload).
        var killedMidUpload = false
        for _ in 0..<3 where !killedMidUpload {
            let victim = try Self.spawn(["backup", "--full"], environment: environment, output: log)
            while victim.isRunning {
                if let pending = try? setup.server.pendingUploads(bucket: setup.bucket), !pending.isEmpty {
                    kill(victim.processIdentifier, SIGKILL)
                    killedMidUpload = true
                    break
                }
            }
            victim.waitUntilExit()
        }
        #expect(killedMidUpload, "the upload was never caught in flight")
        let keys = try setup.server.keys(bucket: setup.bucket)
        let complete = try RemoteCopyOperation(store: try RemoteTarget("s3://\(setup.bucket)/pra").store(configuration: Configuration(envFile: TestEnvironment.noEnvFile, environment: environment))).completeBackups()
        #expect(complete.map(\.fileName) == [first.name.fileName], "only the first backup is complete in the bucket: \(keys)")
        let manifests = keys.filter { $0.hasSuffix(BackupArchiveName.manifestSuffix) }
        #expect(manifests == ["pra/\(first.name.manifestFileName)"], "\(keys)")
        for key in keys where key.hasSuffix(".sql.gz") {
            #expect(key == "pra/\(first.name.fileName)", "an interrupted upload appeared as an object: \(key)")
        }
    }
}
