import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The env file `restore_command` hands to `pra wal get` during `pra restore --pitr`
/// (`--env-file FILE`): `/dev/null` when `REMOTE_TARGET` is not configured; otherwise a
/// private file holding only `REMOTE_TARGET` and what its store needs (S3 keys, region,
/// endpoint; ssh key and known hosts; timeouts), so `pra wal get` can fall back to the
/// off-site WAL. The secrets never reach argv nor `postgresql.auto.conf`, which only names
/// the file.
///
/// The file lives in a new directory `BACKUP_DIR/.pra-restore-env-XXXXXX` (mkdtemp: 0700),
/// outside the data directory; directory and file (0600) belong to the server's OS user, who
/// runs `restore_command`. ``remove()`` deletes both; the restore calls it when it ends,
/// whether it succeeded or failed.
public struct RestoreCommandEnvironment: Sendable {
    /// The variables written, when set: the off-site target and what its store reads.
    public static let variables = [Setting.remoteTarget, .s3Endpoint, .s3Region, .s3Addressing, .s3MaxRetries, .s3Timeout, .remoteSSHKey, .remoteSSHKnownHosts, .backupTimeout, .walGetPrefetch].map(\.name)
    /// The prefix of the private directory (in `BACKUP_DIR`) that holds the file.
    public static let directoryPrefix = ".pra-restore-env"
    public static let fileName = "restore.env"

    /// The path `--env-file` names.
    public let path: String
    /// The private directory to remove, `nil` for `/dev/null`.
    public let directory: String?

    /// `/dev/null`: nothing off-site to read.
    public static let none = RestoreCommandEnvironment(path: "/dev/null", directory: nil)

    init(path: String, directory: String?) {
        self.path = path
        self.directory = directory
    }

    /// The file for `configuration` (``none`` without `REMOTE_TARGET`), created for `user`
    /// (`nil`: this process's account).
    public static func create(configuration: Configuration, backupDirectory: String, user: OSUser?) throws -> RestoreCommandEnvironment {
        guard let remote = configuration[.remoteTarget] else { return .none }
        var values: [(String, String)] = variables.compactMap { name in configuration[name].map { (name, $0) } }
        if case .s3 = try RemoteTarget(remote) {
            // Resolved here (a shared credentials file under root's home is not the server's to read).
            let credentials = try S3Credentials.resolve(configuration)
            values.append((Setting.awsAccessKeyID.name, credentials.accessKeyID))
            values.append((Setting.awsSecretAccessKey.name, credentials.secretAccessKey))
            if let token = credentials.sessionToken { values.append((Setting.awsSessionToken.name, token)) }
        }
        var text = "# written by pra restore --pitr for restore_command (pra wal get); removed when the restore ends\n"
        for (name, value) in values {
            // Single quotes keep every character but a line break literally (EnvFile.parse).
            guard !value.contains("\n"), !value.contains("\r") else {
                throw ConfigurationError("\(name) holds a line break: it cannot be handed to restore_command")
            }
            text += "\(name)='\(value)'\n"
        }
        // After a site loss BACKUP_DIR may not exist yet: created for the server's account, which
        // reads the env file (and writes the WAL archive there once the recovered server archives).
        if !FileManager.default.fileExists(atPath: backupDirectory) {
            try FileManager.default.createDirectory(atPath: backupDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            if let user, chown(backupDirectory, user.uid, user.gid) != 0 { throw FileError(operation: .mkdir, path: backupDirectory, code: errno) }
        }
        var template = Array(((backupDirectory as NSString).appendingPathComponent(directoryPrefix + "-XXXXXX")).utf8CString)
        guard let created = mkdtemp(&template) else {
            throw FileError(operation: .mkdir, path: backupDirectory + "/" + directoryPrefix + "-XXXXXX", code: errno)
        }
        let directory = String(cString: created)
        let path = (directory as NSString).appendingPathComponent(fileName)
        do {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw FileError(operation: .open, path: path, code: errno) }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw FileError(operation: .write, path: path, code: errno) }
                offset += written
            }
            guard fsync(fd) == 0 else { throw FileError(operation: .write, path: path, code: errno) }
            if let user {
                guard fchown(fd, user.uid, user.gid) == 0 else { throw FileError(operation: .write, path: path, code: errno) }
                guard chown(directory, user.uid, user.gid) == 0 else { throw FileError(operation: .mkdir, path: directory, code: errno) }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        return RestoreCommandEnvironment(path: path, directory: directory)
    }

    /// Deletes the file and its directory (nothing for ``none``).
    /// Asks, as the server's account and through this env file, exactly what recovery's
    /// `restore_command` will ask first: a timeline history file that exists nowhere. `nil` when
    /// `pra wal get` answers "not archived" (exit 1) or finds it; otherwise why it could not tell
    /// (an off-site store the account cannot read, keys refused, a marker of another cluster),
    /// said before anything is restored instead of as a FATAL in the middle of recovery.
    public func probe(backupDirectory: String, user: OSUser?) -> String? {
        guard let directory else { return nil }
        let destination = (directory as NSString).appendingPathComponent("probe")
        let process = ExternalProcess(executable: RunningExecutable.path,
                                      arguments: ["wal", "get", "FFFFFFFF.history", destination, "--backup-dir", backupDirectory, "--env-file", path, "--quiet"],
                                      environment: ChildEnvironment.base(), timeout: 300, user: user)
        let outcome: ExternalProcess.Outcome
        do {
            outcome = try process.run()
        } catch {
            return "cannot run pra wal get as the server's account: \(error)"
        }
        try? FileManager.default.removeItem(atPath: destination)
        if outcome.exitCode == 0 || outcome.exitCode == 1 { return nil }
        let line = outcome.standardError.split(separator: "\n").last.map(String.init) ?? "exit status \(outcome.exitCode.map(String.init) ?? "none")"
        return "pra wal get, run as the server's account\(user.map { " (\($0.name))" } ?? "") as restore_command will be, cannot read the off-site WAL: \(line)"
    }

    public func remove() {
        guard let directory else { return }
        unlink(path)
        rmdir(directory)
    }
}
