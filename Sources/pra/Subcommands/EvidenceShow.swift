import ArgumentParser
import Foundation
import PRACore

struct EvidenceShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Summarise the evidence log: restores, status samples, summaries, damaged lines.",
        discussion: """
            Reads EVIDENCE_FILE (or the file given) line by line and prints how many restore \
            records, status samples and hourly summaries it holds, the period they cover, the \
            newest restore and sample, and every line a report will skip (by number, with the \
            reason: cut short by a crash, written by a newer pra, impossible values).

            Exit codes: 0 read (damaged lines are reported, not fatal), 1 the file does not exist \
            or cannot be read, \
            2 usage or configuration error (no log: EVIDENCE_FILE=none).

            Examples:
              pra evidence show
              pra evidence show /var/lib/pra/fleet/db1-akig.jsonl --json
            """)

    @Argument(help: ArgumentHelp("Evidence file to read (default: EVIDENCE_FILE).", valueName: "file"))
    var file: String?

    @Flag(name: .long, help: "Print the overview as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration()
        guard let path = file ?? EvidenceWriter.path(configuration) else {
            throw Terminal.fail("EVIDENCE_FILE=none: no evidence log is kept; name a file to read", exitCode: 2)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw Terminal.fail("no evidence log at \(path) yet: pra status and pra restore write it (EVIDENCE_FILE)", exitCode: 1)
        }
        let overview: EvidenceLog.Overview
        do {
            overview = try EvidenceLog(path: path).overview()
        } catch {
            throw Terminal.fail("cannot read the evidence log \(path): \(error)", exitCode: 1)
        }
        for line in overview.skipped { Terminal.warn("\(path) line \(line.number) skipped: \(line.reason)") }
        if json {
            Terminal.output(JSONCoding.document(overview))
            return
        }
        var lines = ["evidence log \(path)"]
        if let first = overview.first, let last = overview.last {
            lines.append("  from \(RecoveryTarget.format(first)) to \(RecoveryTarget.format(last))")
        }
        lines.append("  \(overview.restores) restore record(s) (\(overview.failedRestores) failed), \(overview.samples) status sample(s) (\(overview.unreachableSamples) unreachable), \(overview.summaries) hourly summar\(overview.summaries == 1 ? "y" : "ies")")
        if let record = overview.lastRestore, let restore = record.restore {
            lines.append("  last restore: \(RecoveryTarget.format(record.at)), \(restore.method.rawValue) of \(record.database) from \(restore.backup ?? "no backup"), \(restore.succeeded ? "succeeded" : "failed") in \(DurationParser.format(restore.seconds))")
        }
        if let record = overview.lastSample, let sample = record.status {
            lines.append("  last status sample: \(RecoveryTarget.format(record.at)), \(record.database) \(sample.reachable ? "reachable" : "unreachable"), \(sample.level.rawValue)")
        }
        if !overview.skipped.isEmpty { lines.append("  \(overview.skipped.count) line(s) skipped (above)") }
        Terminal.output(lines.joined(separator: "\n") + "\n")
    }
}
