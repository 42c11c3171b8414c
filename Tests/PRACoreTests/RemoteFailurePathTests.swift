import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

#if canImport(Glibc)
import Glibc
#endif

/// A real directory target whose storage corrupts what it was given: each upload is damaged on
/// disk (bit flips in the `.partial` file) before pra reads it back. A storage fault, not a mock:
/// every operation is the real DirectoryRemoteStore's.
struct CorruptingDirectoryStore: RemoteStore {
    let inner: DirectoryRemoteStore
    var description: String { inner.description }
    func prepare() throws(RemoteError) { try inner.prepare() }
    func upload(_ localPath: String, as name: String) throws(RemoteError) {
        try inner.upload(localPath, as: name)
        try? ArchiveCorruption.bitFlips(count: 3, seed: 7).apply(to: inner.path(".\(name).partial"))
    }
    func digest(of name: String, partial: Bool) throws(RemoteError) -> FileDigest { try inner.digest(of: name, partial: partial) }
    func finalize(_ name: String) throws(RemoteError) { try inner.finalize(name) }
    func list() throws(RemoteError) -> [String] { try inner.list() }
    func delete(_ names: [String]) throws(RemoteError) { try inner.delete(names) }
    func download(_ name: String, to localPath: String) throws(RemoteError) { try inner.download(name, to: localPath) }
    func stream(_ name: String, to deliver: (UnsafeRawBufferPointer) throws -> Void) throws { try inner.stream(name, to: deliver) }
}

/// Failure paths of the off-site copy: each asserts the failure's stage and key words, that
/// the local backup is untouched, and that nothing (partial file, half copy) is left on the target.
@Suite("remote copy failure paths")
struct RemoteFailurePathTests {
    static func names(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test("read-back mismatch: the copy reads back different, is removed, and the error names both digests")
    func readBackMismatch() throws {
        let local = TestEnvironment.temporaryDirectory("readback")
        let remote = TestEnvironment.temporaryDirectory("readbackdst")
        let backup = try makeBackupFiles(in: local)
        let digest = try FileDigest(path: backup.archive)
        let operation = RemoteCopyOperation(store: CorruptingDirectoryStore(inner: DirectoryRemoteStore(directory: remote)))
        let failure = try #require(throws: OperationFailure.self) { try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest) }
        #expect(failure.stage == "remote copy")
        #expect(failure.message.contains("the copy reads back as"), "\(failure.message)")
        #expect(failure.message.contains("the copy was removed"), "\(failure.message)")
        #expect(Self.names(remote).isEmpty, "left on the target: \(Self.names(remote))")
        #expect(try FileDigest(path: backup.archive) == digest, "the local backup changed")
    }

    @Test("rename failing on the target: the error names the file and reason; no partial file left behind")
    func renameFails() throws {
        let local = TestEnvironment.temporaryDirectory("remoterename")
        let remote = TestEnvironment.temporaryDirectory("remoterenamedst")
        let backup = try makeBackupFiles(in: local)
        let name = (backup.archive as NSString).lastPathComponent
        // A non-empty directory where the archive goes: rename(2) fails (EISDIR), even for root.
        try FileManager.default.createDirectory(atPath: remote + "/" + name + "/keep", withIntermediateDirectories: true)
        let operation = RemoteCopyOperation(store: DirectoryRemoteStore(directory: remote))
        let failure = try #require(throws: OperationFailure.self) { try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest) }
        #expect(failure.message.contains("rename"), "\(failure.message)")
        #expect(failure.message.contains(name), "\(failure.message)")
        #expect(Self.names(remote) == [name], "a partial or a manifest was left: \(Self.names(remote))")
        #expect(FileManager.default.fileExists(atPath: backup.archive) && FileManager.default.fileExists(atPath: backup.manifest))
    }

    @Test("remote retention unable to delete: a warning naming the file and reason; the new copy complete, nothing else deleted")
    func retentionCannotDelete() throws {
        let local = TestEnvironment.temporaryDirectory("remoteretention")
        let remote = TestEnvironment.temporaryDirectory("remoteretentiondst")
        let old = try makeBackupFiles(in: remote, daysAgo: 40)
        // Its archive cannot be unlinked (a non-empty directory in its place). Retention must
        // read the manifest to know whose copy it is, so the manifest stays readable.
        try FileManager.default.removeItem(atPath: old.archive)
        try FileManager.default.createDirectory(atPath: old.archive + "/keep", withIntermediateDirectories: true)
        let backup = try makeBackupFiles(in: local)
        let operation = RemoteCopyOperation(store: DirectoryRemoteStore(directory: remote), retention: RetentionPolicy(retentionDays: 30, minimumKept: 1))
        let result = try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest)
        #expect(result.deletedByRetention.isEmpty)
        let warning = try #require(result.warnings.first)
        #expect(warning.hasPrefix("remote retention: "), "\(warning)")
        #expect(warning.contains("delete") && warning.contains((old.archive as NSString).lastPathComponent), "\(warning)")
        #expect(FileManager.default.fileExists(atPath: old.archive + "/keep"), "nothing beyond what retention named was removed")
        #expect(try operation.completeBackups().map(\.fileName).first == (backup.archive as NSString).lastPathComponent)
    }

    @Test("download failing (the copy is gone): the error names the file; nothing half-written locally")
    func downloadFails() throws {
        let remote = TestEnvironment.temporaryDirectory("remotedownload")
        let fetch = TestEnvironment.temporaryDirectory("remotedownloadlocal") + "/fetch"
        let copy = try makeBackupFiles(in: remote)
        let name = try #require(BackupArchiveName(fileName: (copy.archive as NSString).lastPathComponent))
        try FileManager.default.removeItem(atPath: copy.archive)
        let operation = RemoteCopyOperation(store: DirectoryRemoteStore(directory: remote))
        let error = try #require(throws: RemoteError.self) { try operation.fetch(name, into: fetch) }
        #expect(error.description.contains("download"), "\(error)")
        #expect(error.description.contains(name.fileName), "\(error)")
        #expect(!Self.names(fetch).contains { $0.hasSuffix(".partial") || $0 == name.fileName }, "\(Self.names(fetch))")
    }

    /// A copy over ssh to `server` with this key and known_hosts.
    static func sshOperation(_ server: LoopbackSSHServer, key: String, knownHosts: String, remote: String) throws -> RemoteCopyOperation {
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: [
            "REMOTE_TARGET": server.target(remote), "REMOTE_SSH_KEY": key, "REMOTE_SSH_KNOWN_HOSTS": knownHosts])
        return try #require(try RemoteCopyOperation(configuration: configuration))
    }

    @Test("ssh: a key the server does not accept fails with 'Permission denied'; nothing copied", .requires(.sshd))
    func sshAuthenticationFails() throws {
        let server = try LoopbackSSHServer()
        let directory = TestEnvironment.temporaryDirectory("sshauth")
        try LoopbackSSHServer.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory + "/stranger"])
        let remote = directory + "/offsite"
        let backup = try makeBackupFiles(in: directory)
        let operation = try Self.sshOperation(server, key: directory + "/stranger", knownHosts: server.knownHosts, remote: remote)
        let failure = try #require(throws: OperationFailure.self) { try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest) }
        #expect(failure.message.contains("Permission denied"), "\(failure.message)")
        #expect(failure.message.contains("127.0.0.1"))
        #expect(!FileManager.default.fileExists(atPath: remote), "the target directory was created without authentication")
    }

    @Test("ssh: a host key that does not match known_hosts fails with 'Host key verification failed'; nothing copied", .requires(.sshd))
    func sshHostKeyMismatch() throws {
        let server = try LoopbackSSHServer()
        let impostor = try LoopbackSSHServer()
        let directory = TestEnvironment.temporaryDirectory("sshhostkey")
        // known_hosts holds the other server's key for this server's address.
        let knownHosts = directory + "/known_hosts"
        let otherKey = try String(contentsOfFile: impostor.knownHosts, encoding: .utf8).split(separator: " ").dropFirst().joined(separator: " ")
        try "[127.0.0.1]:\(server.port) \(otherKey)".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let remote = directory + "/offsite"
        let backup = try makeBackupFiles(in: directory)
        let operation = try Self.sshOperation(server, key: server.clientKey, knownHosts: knownHosts, remote: remote)
        let failure = try #require(throws: OperationFailure.self) { try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest) }
        #expect(failure.message.contains("Host key verification failed"), "\(failure.message)")
        #expect(!FileManager.default.fileExists(atPath: remote))
    }

    @Test("ssh: a server that accepts the connection and never answers times out, named as such; nothing copied", .requires(.ssh))
    func sshTimeout() throws {
        // A bound, listening socket that never accepts: the TCP handshake completes, the SSH one never starts.
        let (fd, port) = try LoopbackSocket.listen()
        defer { close(fd) }
        let directory = TestEnvironment.temporaryDirectory("sshtimeout")
        let backup = try makeBackupFiles(in: directory)
        let store = SSHRemoteStore(user: "pra", host: "127.0.0.1", port: port, directory: "/srv/pra", timeout: 30)
        let operation = RemoteCopyOperation(store: store)
        let started = Date()
        let failure = try #require(throws: OperationFailure.self) { try operation.copy(archivePath: backup.archive, manifestPath: backup.manifest) }
        #expect(failure.message.contains("ssh cannot reach 127.0.0.1"), "\(failure.message)")
        #expect(failure.message.lowercased().contains("timed out"), "\(failure.message)")
        #expect(Date().timeIntervalSince(started) < 120, "the copy did not give up")
    }

    @Test("ssh: a download of a copy that is gone fails naming the file; no local file left", .requires(.sshd))
    func sshDownloadFails() throws {
        let server = try LoopbackSSHServer()
        let directory = TestEnvironment.temporaryDirectory("sshdownload")
        let remote = directory + "/offsite"
        try FileManager.default.createDirectory(atPath: remote, withIntermediateDirectories: true)
        let copy = try makeBackupFiles(in: remote)
        let name = try #require(BackupArchiveName(fileName: (copy.archive as NSString).lastPathComponent))
        try FileManager.default.removeItem(atPath: copy.archive)
        let operation = try Self.sshOperation(server, key: server.clientKey, knownHosts: server.knownHosts, remote: remote)
        let fetch = directory + "/fetch"
        let error = try #require(throws: RemoteError.self) { try operation.fetch(name, into: fetch) }
        #expect(error.description.contains("download") && error.description.contains(name.fileName), "\(error)")
        #expect(!Self.names(fetch).contains { $0.hasSuffix(".partial") || $0 == name.fileName }, "\(Self.names(fetch))")
    }
}
