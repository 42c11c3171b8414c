import Foundation
import PRACore
import PRAHarness

/// The S3-compatible server the tests share: one ``SeaweedFSServer`` for the whole test process
/// (started on first use, stopped at exit); each test uses a bucket of its own.
public enum LoopbackS3Server {
    /// The AWS CLI (`aws`), for interoperability tests.
    public static let aws: String? = SeaweedFSServer.program("aws")

    /// Why the server cannot run here, or `nil`.
    public static var unavailableReason: String? { SeaweedFSServer.unavailableReason }

    static let shared: Result<SeaweedFSServer, RemoteError> = {
        Result { () throws(RemoteError) -> SeaweedFSServer in
            let server = try SeaweedFSServer(directory: TestEnvironment.temporaryDirectory("s3"))
            _ = InterruptCleanup.shared.register { server.stop() }
            return server
        }
    }()

    /// The shared server, or why it could not start.
    public static func start() throws -> SeaweedFSServer { try shared.get() }
}

extension SeaweedFSServer {
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
}
