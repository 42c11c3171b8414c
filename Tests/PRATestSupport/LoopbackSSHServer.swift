import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// A real OpenSSH server on 127.0.0.1 with a throwaway host key, accepting one throwaway user
/// key for the current (root) user. The listening socket is bound here (the kernel picks the
/// port; nothing is guessed) and every connection is served by `sshd -i`, as inetd would.
/// Stops with ``stop()`` or when released: the socket closes and running sessions are killed.
public final class LoopbackSSHServer: @unchecked Sendable {
    public static let sshd = "/usr/sbin/sshd"

    /// Why the server cannot run here, or `nil` when it can (root, sshd, ssh-keygen, ssh installed).
    public static var unavailableReason: String? {
        if getuid() != 0 { return "sshd needs root to run" }
        for program in [sshd, "/usr/bin/ssh-keygen", "/usr/bin/ssh"] where !FileManager.default.isExecutableFile(atPath: program) {
            return "\(program) is not installed (apt-get install openssh-server openssh-client)"
        }
        return nil
    }

    public let port: Int
    /// The private key the client authenticates with.
    public let clientKey: String
    /// A known_hosts file holding the server's host key.
    public let knownHosts: String
    public let directory: String
    private let state: State

    /// What the accepting thread shares with the server, so that the thread does not retain it.
    final class State: @unchecked Sendable {
        let socketFD: Int32
        let config: String
        let lock = NSLock()
        var stopped = false
        var sessions: [Process] = []
        let finished = DispatchSemaphore(value: 0)

        init(socketFD: Int32, config: String) {
            self.socketFD = socketFD
            self.config = config
        }
    }

    public init() throws {
        directory = TestEnvironment.temporaryDirectory("sshd")
        let hostKey = directory + "/host_ed25519"
        clientKey = directory + "/client_ed25519"
        knownHosts = directory + "/known_hosts"
        for key in [hostKey, clientKey] {
            try Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "pra-test", "-f", key])
        }
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: directory + "/authorized_keys")
        chmod(directory, 0o700)
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])

        let config = directory + "/sshd_config"
        try """
            HostKey \(hostKey)
            AuthorizedKeysFile \(directory)/authorized_keys
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            UsePAM no
            StrictModes no
            LogLevel ERROR

            """.write(toFile: config, atomically: true, encoding: .utf8)
        // Checks the configuration before serving anything.
        try Self.run(Self.sshd, ["-t", "-f", config])
        let (socketFD, port) = try LoopbackSocket.listen()
        self.port = port
        let publicHostKey = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(port) \(publicHostKey)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let state = State(socketFD: socketFD, config: config)
        self.state = state
        Thread { Self.serve(state) }.start()
    }

    deinit { stop() }

    /// Closes the listening socket, kills running sessions and waits for the accepting thread. Safe to call twice.
    public func stop() {
        state.lock.lock()
        let first = !state.stopped
        state.stopped = true
        state.lock.unlock()
        guard first else { return }
        shutdown(state.socketFD, Int32(SHUT_RDWR))
        state.finished.wait()
        close(state.socketFD)
        state.lock.lock()
        let sessions = state.sessions
        state.lock.unlock()
        for session in sessions where session.isRunning { session.terminate() }
        for session in sessions { session.waitUntilExit() }
    }

    /// `ssh://root@127.0.0.1:PORT<path>`.
    public func target(_ path: String) -> String { "ssh://root@127.0.0.1:\(port)\(path)" }

    private static func serve(_ state: State) {
        defer { state.finished.signal() }
        while true {
            let client = accept(state.socketFD, nil, nil)
            if client < 0 { return }
            let session = Process()
            session.executableURL = URL(fileURLWithPath: sshd)
            session.arguments = ["-i", "-e", "-f", state.config]
            let connection = FileHandle(fileDescriptor: client, closeOnDealloc: false)
            session.standardInput = connection
            session.standardOutput = connection
            session.standardError = FileHandle.nullDevice
            state.lock.lock()
            if (try? session.run()) != nil { state.sessions.append(session) }
            state.lock.unlock()
            close(client)
        }
    }

    public static func run(_ program: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
    }
}
