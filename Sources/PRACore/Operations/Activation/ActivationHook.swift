import Foundation

/// One switch hook: a program run with an argument array (never through a shell) once the
/// restore is verified, to move traffic to the recovered server (DNS, load balancer,
/// application configuration).
public struct ActivationHook: Codable, Sendable, Equatable {
    /// What it switches, for the report and the resume message.
    public var name: String
    /// The program (an absolute path) and its arguments.
    public var command: [String]
    /// Stopped (SIGTERM, then SIGKILL) after this many seconds: a failure.
    public var timeoutSeconds: Double

    public init(name: String, command: [String], timeoutSeconds: Double) {
        self.name = name
        self.command = command
        self.timeoutSeconds = timeoutSeconds
    }

    /// The default timeout of a hook that names none.
    public static let defaultTimeout: Double = 60

    /// The command as one readable line (each argument shell-quoted), for printouts.
    public var commandLine: String { command.map(ShellCommandLine.quote).joined(separator: " ") }
}
