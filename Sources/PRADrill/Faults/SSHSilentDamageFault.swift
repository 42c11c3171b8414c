import Foundation
import PRACore

/// An ssh target that keeps a damaged copy of what it was sent, of the same size: only reading
/// the copy back and hashing it tells. pra must do that for every directory and ssh copy, remove
/// the damaged file and fail the copy (exit 3), never rename it into place.
///
/// No ssh server is needed: `REMOTE_TARGET` becomes `ssh://pra@127.0.0.1/<dir>` and the step's
/// `PATH` starts with a directory holding a stand-in `ssh` that runs the remote command on this
/// machine, passing what `cat >` receives through `tr` (every `a` byte becomes `b`).
struct SSHSilentDamageFault: FaultKind {
    static let name = "ssh-silent-damage"
    static let summary = "Sets REMOTE_TARGET=ssh://pra@127.0.0.1/<dir> and puts a stand-in ssh first on the step's PATH that runs the remote command on this machine and changes every byte 0x61 ('a') of an upload to 0x62 ('b') on its way into the file (same size, other content), as a target that kept a damaged copy: pra must read the copy back, find it differs, remove it and exit 3 with the local backup complete."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let timing = FaultTiming.beforeStep
    static let undo = FaultUndo.afterStep

    /// The stand-in: the last argument is the remote command; an upload's input is damaged.
    static let script = """
        #!/bin/sh
        # pra drill (ssh-silent-damage): runs the remote command here; uploads arrive damaged.
        for command; do :; done
        case "$command" in
            *"cat > "*) tr '\\141' '\\142' | sh -c "$command" ;;
            *) exec sh -c "$command" ;;
        esac

        """

    init() {}

    init(_ parameters: FaultParameterReader) {}

    var description: String { Self.name }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let bin = context.freshDirectory("ssh-silent-damage-bin")
        let target = context.freshDirectory("ssh-silent-damage-target")
        do {
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            try DurableFile.write(Data(Self.script.utf8), to: bin + "/ssh", permissions: 0o755)
        } catch {
            throw FaultError(description: "ssh-silent-damage cannot set up its stand-in ssh: \(error)")
        }
        let path = context.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        context.override("PATH", bin + ":" + path)
        context.override(Setting.remoteTarget.name, "ssh://pra@127.0.0.1" + target)
        return "REMOTE_TARGET=ssh://pra@127.0.0.1\(target) through a stand-in ssh that changes each 'a' byte of an upload to 'b'"
    }

    func revert(_ context: ScenarioContext) {
        context.override("PATH", nil)
        context.override(Setting.remoteTarget.name, nil)
    }
}
