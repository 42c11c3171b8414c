import Foundation
import PRATestSupport
import Testing

@testable import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay between pra and the real SeaweedFS that loses one reply: the first request whose
/// request line matches is delivered and answered by the server, but the answer never reaches
/// the client (its connection is closed), as when a network drops a reply. Everything else is
/// relayed byte for byte. A network fault, not a mock: every answer is SeaweedFS's own.
final class ReplyLosingRelay: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let upstreamPort: Int
    private let matches: @Sendable (String) -> Bool
    private let lock = NSLock()
    private var fired = false
    private var closed = false

    /// How many replies were lost (0 or 1).
    var lostReplies: Int { lock.lock(); defer { lock.unlock() }; return fired ? 1 : 0 }

    init(upstreamPort: Int, losingReplyTo matches: @escaping @Sendable (String) -> Bool) throws {
        let socket = try LoopbackSocket.listen()
        listener = socket.fd
        port = socket.port
        self.upstreamPort = upstreamPort
        self.matches = matches
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() {
        lock.lock(); closed = true; lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                lock.lock(); let stop = closed; lock.unlock()
                if stop || errno == EBADF || errno == EINVAL { return }
                continue
            }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private static func connect(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        if !connected { close(fd); return -1 }
        return fd
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }

    private func serve(_ client: Int32) {
        let upstream = Self.connect(port: upstreamPort)
        guard upstream >= 0 else { close(client); return }
        // The request head decides whether this connection's reply is lost.
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !String(decoding: head, as: UTF8.self).contains("\r\n\r\n") {
            let count = read(client, &buffer, buffer.count)
            if count <= 0 { close(client); close(upstream); return }
            head += buffer[0..<count]
            if head.count > 1 << 20 { break }
        }
        let requestLine = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
        lock.lock()
        let lose = !fired && matches(requestLine)
        if lose { fired = true }
        lock.unlock()
        _ = Self.writeAll(upstream, head)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            // The rest of the request (body), as it comes.
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(client, &chunk, chunk.count)
                if count <= 0 || !Self.writeAll(upstream, Array(chunk[0..<count])) { break }
            }
            shutdown(upstream, Int32(SHUT_WR))
            done.signal()
        }
        while true {
            let count = read(upstream, &buffer, buffer.count)
            if count <= 0 { break }
            // The server answered (so it acted on the request): the client never hears it.
            if lose { break }
            if !Self.writeAll(client, Array(buffer[0..<count])) { break }
        }
        shutdown(client, Int32(SHUT_RDWR))
        done.wait()
        close(client)
        close(upstream)
    }
}

@Suite("S3: a lost reply to CompleteMultipartUpload", .requires(.seaweedfs), .serialized)
struct S3MultipartCompletionTests {
    /// SeaweedFS answers the retried completion 200 (AWS and MinIO answer NoSuchUpload, which
    /// pra then settles by the object's size and SHA-256, read back whole): either way the copy
    /// must succeed, whole, with its manifest, and no upload left pending.
    @Test("a CompleteMultipartUpload whose reply is lost is retried: the copy succeeds, the object reads back as the file, the manifest follows")
    func completedUploadSurvivesLostReply() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("lostreply")
        let relay = try ReplyLosingRelay(upstreamPort: try #require(URL(string: server.endpoint)?.port)) { line in
            line.hasPrefix("POST ") && line.contains("uploadId=")
        }
        defer { relay.stop() }
        var environment = server.environment(bucket: bucket)
        environment["S3_ENDPOINT"] = "http://127.0.0.1:\(relay.port)"
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: TestEnvironment.baseEnvironment(environment))
        var store = try #require(try RemoteTarget(configuration["REMOTE_TARGET"] ?? "").store(configuration: configuration) as? S3RemoteStore)
        store.partSize = 5 << 20
        store.client.initialBackoff = 0.1
        let local = TestEnvironment.temporaryDirectory("lostreply")
        let backup = try makeDatabaseBackup(in: local, database: "prod", prefix: "prod", daysAgo: 0, bytes: 11 << 20)
        let result = try RemoteCopyOperation(store: store).copy(archivePath: backup.archive, manifestPath: backup.manifest)
        #expect(relay.lostReplies == 1, "the fault did not fire")
        let name = (backup.archive as NSString).lastPathComponent
        #expect(result.archive == name)
        #expect(try store.digest(of: name, partial: false, readBack: true) == FileDigest(path: backup.archive))
        #expect(try store.list().contains(name + BackupArchiveName.manifestSuffix), "the manifest did not follow")
        #expect(try server.pendingUploads(bucket: bucket).isEmpty)
    }
}
