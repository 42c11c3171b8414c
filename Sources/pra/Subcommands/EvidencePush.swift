import ArgumentParser
import Foundation
import PRACore

struct EvidencePush: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy the evidence log to REMOTE_TARGET/evidence/<host>-<database>.jsonl.",
        discussion: """
            Takes a snapshot of EVIDENCE_FILE under its lock (appends wait a moment; nothing \
            half-written is copied), uploads it under a temporary name, reads it back (size and \
            SHA-256) and only then renames it over the previous copy, as backups are copied. The \
            name is this host's name and PGDATABASE (--name overrides). A central job runs pra \
            evidence pull to gather every host's copy for pra report.

            Exit codes: 0 copied, 1 the copy failed (the previous copy is left as it was), 2 usage \
            or configuration error (REMOTE_TARGET unset, EVIDENCE_FILE=none).

            Examples:
              pra evidence push --env-file /etc/pra/.env
              */15 * * * * postgres pra evidence push --quiet --env-file /etc/pra/.env
            """)

    @Option(name: .long, help: ArgumentHelp("Name of the copy (default: <host>-<database>.jsonl).", valueName: "name"))
    var name: String?

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "evidence")
        InterruptCleanup.shared.installSignalHandlers()
        guard let path = EvidenceWriter.path(configuration) else {
            throw Terminal.fail("EVIDENCE_FILE=none: there is no evidence log to push", exitCode: 2)
        }
        let copy: EvidenceCopy
        do {
            guard let configured = try EvidenceCopy(configuration: configuration) else {
                throw Terminal.fail("REMOTE_TARGET is not set: pra evidence push copies the log there (a directory, ssh:// or s3://)", exitCode: 2)
            }
            copy = configured
        } catch let error as ConfigurationError {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        if let name, !EvidenceCopy.isEvidenceName(name) {
            throw Terminal.fail("--name \(name) must end in .jsonl and hold only letters, digits and . _ + @ - (no leading dot)", exitCode: 2)
        }
        let database = (try? configuration.connectionSettings().databaseName) ?? nil
        let remoteName = name ?? EvidenceCopy.remoteName(host: EvidenceWriter.hostName(), database: database ?? "postgres")
        let pushed: EvidenceCopy.Pushed
        do {
            pushed = try copy.push(EvidenceLog(path: path), as: remoteName)
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(error))) }
            throw Terminal.fail(error)
        }
        let summary = "evidence log copied to \(pushed.target)/\(pushed.name) (\(ByteCount.format(pushed.bytes)), read back and matched)"
        if json {
            Terminal.output(JSONCoding.document(pushed))
        } else if !common.quiet || common.verbose {
            Terminal.output(summary + "\n")
        }
        Terminal.record("pra: " + summary)
    }
}
