import Crypto
import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

/// The S3 store against a real S3-compatible server (SeaweedFS on 127.0.0.1).
@Suite("off-site copies in an S3 bucket", .requires(.seaweedfs), .serialized)
struct S3RemoteStoreTests {
    func store(_ server: SeaweedFSServer, bucket: String, prefix: String = "pra", partSize: Int = 8 << 20, readOnly: Bool = false) throws -> S3RemoteStore {
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: TestEnvironment.baseEnvironment(server.environment(bucket: bucket, prefix: prefix, readOnly: readOnly)))
        let target = try RemoteTarget(configuration["REMOTE_TARGET"] ?? "")
        var store = try #require(try target.store(configuration: configuration) as? S3RemoteStore)
        store.partSize = partSize
        store.client.initialBackoff = 0.1
        return store
    }

    @Test("REMOTE_TARGET=s3://bucket/prefix parsed; bad bucket names and prefixes refused; credentials from the variables or the shared file")
    func parsingAndCredentials() throws {
        #expect(try RemoteTarget("s3://pra-backups/prod/db1") == .s3(bucket: "pra-backups", prefix: "prod/db1"))
        #expect(try RemoteTarget("s3://pra-backups") == .s3(bucket: "pra-backups", prefix: ""))
        #expect(try RemoteTarget("s3://pra-backups/prod").appending("wal") == .s3(bucket: "pra-backups", prefix: "prod/wal"))
        for bad in ["s3://", "s3://ab", "s3://Upper/x", "s3://b_u/x", "s3://bucket/a/../b", "s3://bucket/a b"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try RemoteTarget(bad) }
        }
        let directory = TestEnvironment.temporaryDirectory("s3creds")
        try "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = secretdefault\n\n[profile backup]\naws_access_key_id=AKIDBACKUP\naws_secret_access_key=secretbackup\naws_session_token = tok\n"
            .write(toFile: directory + "/credentials", atomically: true, encoding: .utf8)
        let fromFile = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["AWS_SHARED_CREDENTIALS_FILE": directory + "/credentials", "AWS_PROFILE": "backup"])
        #expect(try S3Credentials.resolve(fromFile, home: nil) == .init(accessKeyID: "AKIDBACKUP", secretAccessKey: "secretbackup", sessionToken: "tok"))
        let fromHome = try Configuration(envFile: TestEnvironment.noEnvFile, environment: [:])
        try FileManager.default.createDirectory(atPath: directory + "/.aws", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: directory + "/credentials", toPath: directory + "/.aws/credentials")
        #expect(try S3Credentials.resolve(fromHome, home: directory).accessKeyID == "AKIDDEFAULT")
        let variables = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SHARED_CREDENTIALS_FILE": directory + "/credentials"])
        #expect(try S3Credentials.resolve(variables, home: directory).accessKeyID == "AKIDENV", "the variables come before the file")
        let missing = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["AWS_ACCESS_KEY_ID": "AKIDENV"])
        #expect(throws: ConfigurationError.self) { try S3Credentials.resolve(missing, home: nil) }
    }

    @Test("a small file: one PUT the store checks by SHA-256; listed, read back, downloaded identical, deleted")
    func singlePut() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("single")
        let store = try store(server, bucket: bucket)
        let local = TestEnvironment.temporaryDirectory("s3single")
        let backup = try makeBackupFiles(in: local, bytes: 300_000)
        let name = (backup.archive as NSString).lastPathComponent
        try store.prepare()
        try store.put(backup.archive, as: name, expected: try FileDigest(path: backup.archive))
        #expect(try server.keys(bucket: bucket) == ["pra/\(name)"])
        #expect(try store.list() == [name])
        #expect(try store.digest(of: name, partial: false) == FileDigest(path: backup.archive))
        #expect(try store.digest(of: name, partial: false, readBack: true) == FileDigest(path: backup.archive), "the bytes themselves, not only the metadata")
        try store.download(name, to: local + "/copy")
        #expect(try FileDigest(path: local + "/copy") == FileDigest(path: backup.archive))
        try store.delete([name, "never-there"])
        #expect(try store.list().isEmpty)
    }

    @Test("the store refuses bytes that do not match x-amz-checksum-sha256 (what makes its confirmation worth having)")
    func storeChecksChecksums() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("checksum")
        let wrong = Data(SHA256.hash(data: Data("other bytes".utf8))).base64EncodedString()
        #expect(throws: S3Client.Failure.self) {
            try server.client(bucket: bucket).send("PUT", key: "pra/x", headers: ["x-amz-checksum-sha256": wrong], body: Data("these bytes".utf8))
        }
        #expect(try server.keys(bucket: bucket).isEmpty)
    }

    @Test("a large file: multipart upload part by part, every part confirmed, the object identical; no upload left pending")
    func multipart() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("multipart")
        let store = try store(server, bucket: bucket, partSize: 5 << 20)
        let local = TestEnvironment.temporaryDirectory("s3multi")
        let backup = try makeBackupFiles(in: local, bytes: 12 << 20)
        let name = (backup.archive as NSString).lastPathComponent
        let digest = try FileDigest(path: backup.archive)
        try store.put(backup.archive, as: name, expected: digest)
        #expect(try store.digest(of: name, partial: false, readBack: true) == digest)
        #expect(try server.pendingUploads(bucket: bucket).isEmpty)
        try store.download(name, to: local + "/copy")
        #expect(try FileDigest(path: local + "/copy") == digest)
    }

    @Test("a multipart upload left by a killed run is aborted by the next prepare; it never appears as an object")
    func staleUploadsAborted() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("stale")
        var store = try store(server, bucket: bucket)
        store.archivePrefix = "akig"  // a copy of akig's backups: only akig's uploads are its to abort
        let started = try server.client(bucket: bucket).send("POST", key: "pra/akig_backup_full_20260101_000000.sql.gz", query: [("uploads", "")])
        let id = try #require(S3Client.element("UploadId", in: String(decoding: started.body, as: UTF8.self)))
        _ = try server.client(bucket: bucket).send("PUT", key: "pra/akig_backup_full_20260101_000000.sql.gz", query: [("partNumber", "1"), ("uploadId", id)], body: Data(count: 1000))
        #expect(try server.pendingUploads(bucket: bucket).count == 1)
        #expect(try store.list().isEmpty, "an incomplete upload is no object")
        try store.prepare()
        #expect(try server.pendingUploads(bucket: bucket).count == 1, "a recent upload may be another run's: kept")
        store.staleUploadAge = 0
        try store.prepare()
        #expect(try server.pendingUploads(bucket: bucket).isEmpty)
    }

    @Test("errors name the bucket, the key, the HTTP status and the S3 code: NoSuchBucket, AccessDenied, unreachable")
    func errors() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("errors")
        let local = TestEnvironment.temporaryDirectory("s3errors")
        let backup = try makeBackupFiles(in: local, bytes: 1000)
        let name = (backup.archive as NSString).lastPathComponent

        let missing = try store(server, bucket: "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())")
        let noBucket = try #require(throws: RemoteError.self) { try missing.prepare() }
        #expect(noBucket.code == "NoSuchBucket" && noBucket.httpStatus == 404)
        #expect(noBucket.description.contains(missing.client.bucket))

        let reader = try store(server, bucket: bucket, readOnly: true)
        let denied = try #require(throws: RemoteError.self) { try reader.put(backup.archive, as: name, expected: try FileDigest(path: backup.archive)) }
        #expect(denied.httpStatus == 403 && denied.code == "AccessDenied", "\(denied)")
        #expect(denied.description.contains("pra/\(name)") && denied.description.contains("s3://\(bucket)/pra"), "\(denied)")
        #expect(!denied.description.contains(server.readOnlySecretKey))

        var unreachable = try store(server, bucket: bucket)
        unreachable.client.endpoint = URL(string: "http://127.0.0.1:\(LoopbackSocket.freePort() ?? 9)")!
        unreachable.client.maxRetries = 2
        let refused = try #require(throws: RemoteError.self) { try unreachable.prepare() }
        #expect(refused.httpStatus == nil && refused.description.contains("after 3 attempts"), "\(refused)")
    }

    @Test("remote copy to S3: archive then manifest, retention applied on the bucket, fetched back for restore")
    func remoteCopy() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("copy")
        let store = try store(server, bucket: bucket)
        let staging = TestEnvironment.temporaryDirectory("s3old")
        let old = try makeBackupFiles(in: staging, daysAgo: 40)
        let older = try makeBackupFiles(in: staging, daysAgo: 41)
        for file in [old, older] {
            for path in [file.archive, file.manifest] { try store.put(path, as: (path as NSString).lastPathComponent, expected: try FileDigest(path: path)) }
        }
        let local = TestEnvironment.temporaryDirectory("s3copy")
        let backup = try makeBackupFiles(in: local)
        let operation = RemoteCopyOperation(store: store, retention: RetentionPolicy(retentionDays: 30, minimumKept: 2))
        let result = try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest)
        let name = (backup.archive as NSString).lastPathComponent
        #expect(result.target == "s3://\(bucket)/pra")
        #expect(result.deletedByRetention == [(older.archive as NSString).lastPathComponent])
        #expect(try operation.completeBackups().map(\.fileName) == [name, (old.archive as NSString).lastPathComponent])
        let fetched = try operation.fetch(try #require(BackupArchiveName(fileName: name)), into: local + "/fetch")
        #expect(try FileDigest(path: fetched) == FileDigest(path: backup.archive))
        #expect(try FileDigest(path: fetched + BackupArchiveName.manifestSuffix) == FileDigest(path: backup.manifest))
    }

    @Test("addressing: path style on S3_ENDPOINT, virtual host on AWS; S3_ADDRESSING overrides; the host header and path follow")
    func addressing() throws {
        func client(_ environment: [String: String]) throws -> S3Client {
            let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"].merging(environment) { $1 })
            return try #require(try RemoteTarget(configuration["REMOTE_TARGET"] ?? "").store(configuration: configuration) as? S3RemoteStore).client
        }
        let aws = try client(["REMOTE_TARGET": "s3://pra-backups/db1", "S3_REGION": "eu-west-3"])
        #expect(!aws.pathStyle && aws.endpoint.absoluteString == "https://s3.eu-west-3.amazonaws.com")
        #expect(aws.hostHeader == "pra-backups.s3.eu-west-3.amazonaws.com" && aws.path(for: "db1/a.sql.gz") == "/db1/a.sql.gz")
        let minio = try client(["REMOTE_TARGET": "s3://pra-backups/db1", "S3_ENDPOINT": "http://minio.example:9000"])
        #expect(minio.pathStyle && minio.hostHeader == "minio.example:9000" && minio.path(for: "db1/a.sql.gz") == "/pra-backups/db1/a.sql.gz")
        let forced = try client(["REMOTE_TARGET": "s3://pra-backups/db1", "S3_ENDPOINT": "http://minio.example:9000", "S3_ADDRESSING": "virtual"])
        #expect(!forced.pathStyle && forced.hostHeader == "pra-backups.minio.example:9000")
        #expect(throws: ConfigurationError.self) { try client(["REMOTE_TARGET": "s3://pra-backups/db1", "S3_ADDRESSING": "sideways"]) }
        #expect(throws: ConfigurationError.self) { try client(["REMOTE_TARGET": "s3://pra-backups/db1", "S3_ENDPOINT": "ftp://x"]) }
    }
}
