import ArgumentParser
import Foundation
import PRACore

struct StandbyStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say how far a standby is behind the WAL archive and whether it can be promoted.",
        discussion: """
            Reads the standby (running, in recovery, last replayed WAL position and commit, system \
            identifier) and the local WAL archive in BACKUP_DIR (newest segment, a gap before it). \
            The replay lag is the archived segments not replayed yet and how long the oldest of \
            them has waited. CRITICAL: not promotable (not running, not in recovery, another \
            database system, a segment missing from the archive before the newest one, or \
            promoted already); WARNING: the lag is over RPO_TARGET (the standby fell behind, e.g. \
            pra wal get cannot read the archive); otherwise OK. Without a local archive (after \
            losing the site) the lag is unknown and not judged. Changes nothing.

            Exit codes as pra status: 0 OK, 1 CRITICAL, 2 WARNING, 3 configuration error or no \
            standby in the directory. pra status --standby DIR prints the same.

            Example:
              pra standby status --target-dir /srv/pg/standby --json
            """)

    @Option(name: .long, help: ArgumentHelp("The standby's data directory.", valueName: "dir"))
    var targetDir: String

    @Flag(name: .long, help: "Print the state as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration: Configuration
        do {
            configuration = try common.loadConfiguration(logAs: "status")
        } catch {
            throw ExitCode(3)
        }
        try Self.report(configuration: configuration, directory: targetDir, json: json)
    }

    /// Prints the standby's state and exits as `pra status` does (shared with `pra status --standby`).
    static func report(configuration: Configuration, directory: String, json: Bool) throws {
        let state: StandbyState
        do {
            state = try StandbyPromotion(configuration: configuration, dataDirectory: directory).inspect()
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(error))) }
            throw Terminal.fail(error.description, exitCode: 3)
        }
        Terminal.output(json ? JSONCoding.document(state) : state.text)
        if state.level != .ok {
            throw Terminal.fail(state.headline, exitCode: state.level.exitCode)
        }
        Terminal.record("pra: standby OK")
    }
}
