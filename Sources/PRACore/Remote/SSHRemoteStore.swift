import Foundation

/// Off-site copies on an ssh server, through the system's `ssh` (Debian `openssh-client`).
///
/// Every call is one `ssh` run with an argument array, `BatchMode=yes` (key authentication,
/// never a password prompt) and a connect timeout. The remote side is a POSIX shell command
/// built from fixed words and single-quoted paths that ``RemoteTarget`` restricted to a safe
/// character set. Data goes through ssh's stdin and stdout (`cat`), so no `scp` quoting rules apply.
public struct SSHRemoteStore: RemoteStore {
    public let user: String
    public let host: String
    public let port: Int?
    public let directory: String
    public let identityFile: String?
    public let knownHostsFile: String?
    /// Stop a transfer after this many seconds.
    public let timeout: Double?

    public var description: String { "ssh://\(user)@\(host)\(port.map { ":\($0)" } ?? "")\(directory)" }

    public init(user: String, host: String, port: Int?, directory: String, identityFile: String? = nil, knownHostsFile: String? = nil, timeout: Double? = nil) {
        self.user = user
        self.host = host
        self.port = port
        self.directory = directory
        self.identityFile = identityFile
        self.knownHostsFile = knownHostsFile
        self.timeout = timeout
    }

    /// `ssh`'s arguments before the remote command.
    var sshArguments: [String] {
        var arguments = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
                         "-o", "LogLevel=ERROR", "-l", user]
        if let port { arguments += ["-p", String(port)] }
        if let identityFile { arguments += ["-i", identityFile, "-o", "IdentitiesOnly=yes"] }
        if let knownHostsFile { arguments += ["-o", "UserKnownHostsFile=\(knownHostsFile)", "-o", "StrictHostKeyChecking=yes"] }
        return arguments + [host]
    }

    /// Single-quotes a path for the remote shell. Paths come from ``RemoteTarget`` (safe
    /// characters) and archive names (``BackupArchiveName``); anything else is refused.
    static func quote(_ path: String) throws(RemoteError) -> String {
        guard RemoteTarget.isSafeName(path, extra: "/._-+@") else {
            throw RemoteError(target: "ssh", operation: "quote", file: path, message: "refusing a path with characters outside letters, digits and / . _ - + @")
        }
        return "'\(path)'"
    }

    func remotePath(_ name: String) throws(RemoteError) -> String {
        try Self.quote((directory as NSString).appendingPathComponent(name))
    }

    func program() throws(RemoteError) -> String {
        do {
            return try SystemProgram.locate("ssh", package: "openssh-client")
        } catch {
            throw RemoteError(target: description, operation: "connect", message: error.description)
        }
    }

    /// ssh's environment: the process's, minus the secrets it has no use for.
    var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !SecretRedactor.secretVariables.contains($0.key) && $0.key != Setting.databaseURL.name && $0.key != Setting.pgPassword.name }
    }

    /// Runs `command` remotely and returns its stdout; a failure carries ssh's or the command's last stderr line.
    @discardableResult
    func run(_ command: String, operation: String, file: String? = nil) throws(RemoteError) -> String {
        let process = ExternalProcess(executable: try program(), arguments: sshArguments + [command], environment: environment, timeout: 120)
        let outcome: ExternalProcess.Outcome
        do {
            outcome = try process.run()
        } catch {
            throw RemoteError(target: description, operation: operation, file: file, message: error.description)
        }
        guard outcome.succeeded else { throw failure(outcome, operation: operation, file: file) }
        return outcome.stdoutText
    }

    /// `ssh cat` of the file; a broken transfer cannot resume and fails.
    public func stream(_ name: String, to deliver: (UnsafeRawBufferPointer) throws -> Void) throws {
        let process = ExternalProcess(executable: try program(), arguments: sshArguments + ["cat -- \(try remotePath(name))"], environment: environment, timeout: timeout)
        let outcome: ExternalProcess.Outcome
        do {
            outcome = try process.run { chunk in try deliver(chunk) }
        } catch let failure as ConsumerFailure {
            throw failure.underlying
        } catch {
            throw RemoteError(target: description, operation: "download", file: name, message: "\(error)")
        }
        guard outcome.succeeded else { throw failure(outcome, operation: "download", file: name) }
    }

    func failure(_ outcome: ExternalProcess.Outcome, operation: String, file: String?) -> RemoteError {
        let error = ProcessError(kind: outcome.timedOut ? .timedOut : .failed, program: "ssh", exitCode: outcome.exitCode, signal: outcome.signal, stderr: outcome.standardError)
        var message = error.stderrSummary ?? error.description
        if outcome.exitCode == 255 { message = "ssh cannot reach \(host): \(message)" }
        return RemoteError(target: description, operation: operation, file: file, message: message)
    }

    public func prepare() throws(RemoteError) {
        try run("umask 027 && mkdir -p -- \(try Self.quote(directory))", operation: "prepare")
    }

    public func upload(_ localPath: String, as name: String) throws(RemoteError) {
        let partial = try remotePath(Self.partialName(name))
        // On a failed write, remove the partial file and keep cat's status (and its message).
        let command = "umask 027 && { cat > \(partial) || { rc=$?; rm -f -- \(partial); exit $rc; }; }"
        let process = ExternalProcess(executable: try program(), arguments: sshArguments + [command], environment: environment, timeout: timeout)
        guard let input = FileHandle(forReadingAtPath: localPath) else {
            throw RemoteError(target: description, operation: "upload", file: name, message: "cannot read \(localPath)")
        }
        defer { try? input.close() }
        let outcome: ExternalProcess.Outcome
        do {
            outcome = try process.run { stdin in
                while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try chunk.withUnsafeBytes { buffer in _ = try stdin.write(buffer) }
                }
            }
        } catch let failure as ConsumerFailure {
            let stderr = ProcessError(kind: .failed, program: "ssh", stderr: failure.standardError).stderrSummary
            throw RemoteError(target: description, operation: "upload", file: name, message: stderr ?? "\(failure.underlying)")
        } catch {
            throw RemoteError(target: description, operation: "upload", file: name, message: "\(error)")
        }
        guard outcome.succeeded else { throw failure(outcome, operation: "upload", file: name) }
    }

    public func digest(of name: String, partial: Bool) throws(RemoteError) -> FileDigest {
        let path = try remotePath(partial ? Self.partialName(name) : name)
        let output = try run("stat -c %s -- \(path) && sha256sum -- \(path)", operation: "verify", file: name)
        let lines = output.split(separator: "\n")
        guard lines.count >= 2, let size = UInt64(lines[0].trimmingCharacters(in: .whitespaces)),
              let hash = lines[1].split(separator: " ").first, hash.count == 64 else {
            throw RemoteError(target: description, operation: "verify", file: name, message: "unexpected answer from stat/sha256sum: \(output.prefix(200))")
        }
        return FileDigest(size: size, sha256: String(hash))
    }

    public func finalize(_ name: String) throws(RemoteError) {
        try run("mv -f -- \(try remotePath(Self.partialName(name))) \(try remotePath(name)) && sync", operation: "rename", file: name)
    }

    public func list() throws(RemoteError) -> [String] {
        // A directory not created yet under an existing parent (REMOTE_TARGET/wal/ before the
        // first WAL copy) holds nothing; anything else that stops ls is its error.
        let quoted = try Self.quote(directory), parent = try Self.quote((directory as NSString).deletingLastPathComponent)
        return try run("if [ ! -e \(quoted) ] && [ -d \(parent) ]; then exit 0; fi; ls -1A -- \(quoted)", operation: "list").split(separator: "\n").map(String.init)
    }

    public func delete(_ names: [String]) throws(RemoteError) {
        guard !names.isEmpty else { return }
        var paths: [String] = []
        for name in names { paths.append(try remotePath(name)) }
        try run("rm -f -- " + paths.joined(separator: " "), operation: "delete")
    }

    public func download(_ name: String, to localPath: String) throws(RemoteError) {
        let process = ExternalProcess(executable: try program(), arguments: sshArguments + ["cat -- \(try remotePath(name))"], environment: environment, timeout: timeout)
        let file: DurableFile
        do {
            file = try DurableFile(finalPath: localPath, replacing: true)
        } catch {
            throw RemoteError(target: description, operation: "download", file: name, message: error.description)
        }
        let outcome: ExternalProcess.Outcome
        do {
            outcome = try process.run { chunk in try file.write(chunk) }
        } catch {
            file.discard()
            throw RemoteError(target: description, operation: "download", file: name, message: "\((error as? ConsumerFailure)?.underlying ?? error)")
        }
        guard outcome.succeeded else {
            file.discard()
            throw failure(outcome, operation: "download", file: name)
        }
        do {
            try file.commit()
        } catch {
            throw RemoteError(target: description, operation: "download", file: name, message: error.description)
        }
    }
}
