import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// A real OpenSSH server on 127.0.0.1 with a throwaway host key, accepting one throwaway user
/// key for the current (root) user; stopped when deinitialised.
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
    private let process: Process

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

        guard let free = LoopbackSocket.freePort() else { throw POSIXError(.EADDRNOTAVAIL) }
        port = free

        let config = directory + "/sshd_config"
        try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            PidFile \(directory)/sshd.pid
            AuthorizedKeysFile \(directory)/authorized_keys
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            UsePAM no
            StrictModes no
            LogLevel ERROR

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let publicHostKey = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(port) \(publicHostKey)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)

        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.sshd)
        process.arguments = ["-D", "-e", "-f", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        // Wait until it accepts connections.
        for _ in 0..<100 {
            if Self.accepts(port) { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        process.terminate()
        throw POSIXError(.ECONNREFUSED)
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    /// `ssh://root@127.0.0.1:PORT<path>`.
    public func target(_ path: String) -> String { "ssh://root@127.0.0.1:\(port)\(path)" }

    static func accepts(_ port: Int) -> Bool {
        LoopbackSocket.accepts(port: port)
    }

    static func run(_ program: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
    }
}
