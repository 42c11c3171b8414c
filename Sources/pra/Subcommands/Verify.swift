import ArgumentParser
import Foundation
import PRACore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check archives end to end: gzip stream, size and SHA-256 against the manifest, dump trailer.",
        discussion: """
            Detects truncation, bit flips, zeroed blocks, appended garbage and missing or mismatched \
            manifests. With --all, every archive in BACKUP_DIR is checked, and an archive without its \
            manifest counts as an incomplete (invalid) backup. A stock `pg_dump | gzip` file named \
            on the command line is checked for gzip integrity and the dump trailer; the verdict says \
            that no manifest vouches for it. Exit 1 when any archive is invalid.

            Examples:
              pra verify --all
              pra verify backups/akig_backup_full_20261125_030000.sql.gz --json
            """)

    @Argument(help: ArgumentHelp("Archives to verify.", valueName: "archive"))
    var archives: [String] = []

    @Flag(name: .long, help: "Verify every archive in BACKUP_DIR.")
    var all = false

    @Flag(name: .long, help: "Print the verdicts as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if archives.isEmpty && !all {
            throw ValidationError("name at least one archive, or use --all")
        }
    }

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "verify")
        var targets: [(archive: String, manifest: String, requireManifest: Bool)] = archives.map { ($0, $0 + BackupArchiveName.manifestSuffix, false) }
        if all {
            let catalogue = BackupCatalogue(directory: configuration.backupDirectory)
            if catalogue.entries.isEmpty {
                throw Terminal.fail("no archives in \(configuration.backupDirectory)", exitCode: 1)
            }
            targets += catalogue.entries.map { ($0.archivePath, $0.manifestPath, true) }
        }
        for target in targets where !FileManager.default.fileExists(atPath: target.archive) {
            throw Terminal.fail("\(target.archive) does not exist", exitCode: 2)
        }
        let progress = json ? nil : common.progress
        var results: [VerificationResult] = []
        for target in targets {
            let result = ArchiveVerifier().verify(archivePath: target.archive, manifestPath: target.manifest, requireManifest: target.requireManifest, progress: progress)
            VerificationRecord.save(result)
            results.append(result)
            if !json { Terminal.output(result.summary + "\n") }
        }
        let invalid = results.filter { !$0.valid }
        if json {
            Terminal.output(JSONCoding.document(VerificationReport(archives: results)))
        }
        if !invalid.isEmpty {
            throw Terminal.fail("\(invalid.count) of \(results.count) archive(s) invalid: " + invalid.map { $0.summary }.joined(separator: " | "), exitCode: 1)
        }
    }
}
