import ArgumentParser
import Foundation
import PRACore

struct EvidencePull: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Fetch every host's evidence log from REMOTE_TARGET/evidence/ into a directory.",
        discussion: """
            Lists REMOTE_TARGET/evidence/ and downloads each <host>-<database>.jsonl into DIR \
            (created when missing) through a private temporary file: kept only when it matches the \
            store's size and SHA-256 and holds evidence records, then renamed over the previous \
            copy. Names that are not plain .jsonl names are refused, never written. pra report \
            reads the directory for its fleet view.

            Exit codes: 0 every log fetched, 1 a log was refused or could not be fetched (the \
            others are kept), 2 usage or configuration error (REMOTE_TARGET unset).

            Example:
              pra evidence pull /var/lib/pra/fleet --env-file /etc/pra/central.env
            """)

    @Argument(help: ArgumentHelp("Directory to write the logs into.", valueName: "dir"))
    var directory: String

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "evidence")
        InterruptCleanup.shared.installSignalHandlers()
        let copy: EvidenceCopy
        do {
            guard let configured = try EvidenceCopy(configuration: configuration) else {
                throw Terminal.fail("REMOTE_TARGET is not set: pra evidence pull reads REMOTE_TARGET/evidence/", exitCode: 2)
            }
            copy = configured
        } catch let error as ConfigurationError {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        let pulled: [EvidenceCopy.Pulled]
        do {
            pulled = try copy.pull(into: directory)
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(error))) }
            throw Terminal.fail(error)
        }
        let refused = pulled.filter { $0.problem != nil }
        for entry in refused { Terminal.warn("\(copy.store.description)/\(entry.name): \(entry.problem ?? "")") }
        if json {
            Terminal.output(JSONCoding.document(pulled))
        } else if !common.quiet || common.verbose {
            for entry in pulled where entry.file != nil {
                Terminal.output("\(entry.file ?? entry.name): \(entry.records) record(s)" + (entry.skippedLines > 0 ? ", \(entry.skippedLines) damaged line(s) a report will skip" : "") + "\n")
            }
        }
        let summary = "\(pulled.count - refused.count) evidence log(s) fetched from \(copy.store.description) into \(directory)" + (refused.isEmpty ? "" : ", \(refused.count) refused")
        if !refused.isEmpty { throw Terminal.fail(summary, exitCode: 1) }
        Terminal.record("pra: " + summary)
    }
}
