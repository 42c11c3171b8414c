import Foundation

/// Runs one switch hook: its argument array (no shell), the allow-listed environment plus
/// where the recovered database answers, its timeout; both streams captured, bounded.
struct ActivationHookRunner {
    let server: ActivationServer
    let activationID: String

    /// What the hook sees besides the allow-listed variables: never a secret.
    var environment: [String: String] {
        var environment = ChildEnvironment.base()
        environment["PRA_ACTIVATION_ID"] = activationID
        environment["PRA_ACTIVATION_DATABASE"] = server.database
        if let host = server.host { environment["PRA_ACTIVATION_HOST"] = host }
        if let port = server.port { environment["PRA_ACTIVATION_PORT"] = String(port) }
        return environment
    }

    func run(_ hook: ActivationHook) -> ActivationHookRecord {
        let started = Date()
        let clock = MonotonicClock.now()
        let process = ExternalProcess(executable: hook.command[0], arguments: Array(hook.command.dropFirst()), environment: environment, timeout: hook.timeoutSeconds)
        do {
            // Streamed, only the head kept: a chatty hook cannot grow pra's memory.
            var head = Data()
            var dropped = 0
            let outcome = try process.run { chunk in
                let room = max(0, ActivationHookRecord.outputLimit - head.count)
                head.append(contentsOf: chunk.prefix(room))
                dropped += max(0, chunk.count - room)
            }
            let standardOutput = String(decoding: head, as: UTF8.self) + (dropped > 0 ? "\n[... \(dropped) more bytes]" : "")
            var failure: String?
            if outcome.timedOut {
                failure = "timed out after \(DurationParser.format(hook.timeoutSeconds))"
            } else if !outcome.succeeded {
                let last = outcome.standardError.split(separator: "\n").last.map { ": " + $0 } ?? ""
                failure = (outcome.exitCode.map { "exited with status \($0)" } ?? "killed by signal \(outcome.signal ?? 0)") + last
            }
            return ActivationHookRecord(name: hook.name, command: hook.commandLine, startedAt: started, seconds: clock.elapsed(), exitCode: outcome.exitCode, timedOut: outcome.timedOut, succeeded: failure == nil,
                                        standardOutput: standardOutput, standardError: ActivationHookRecord.tail(outcome.standardError), failure: failure)
        } catch {
            return ActivationHookRecord(name: hook.name, command: hook.commandLine, startedAt: started, seconds: clock.elapsed(), exitCode: nil, timedOut: false, succeeded: false,
                                        standardOutput: "", standardError: "", failure: "cannot run: \(error)")
        }
    }
}
