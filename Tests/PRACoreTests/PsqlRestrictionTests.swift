import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// A restore runs psql in a restricted mode keyed by pg_dump's \\restrict key; meta-commands injected into an archive are refused naming the line.

@Suite("psql restriction: no meta-command from an archive runs", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct PsqlRestrictionTests {

    @Test("a restore never runs psql meta-commands from a stock archive; the refusal names the line")
    func metaCommandsInStockFile() throws {
        let directory = TestEnvironment.temporaryDirectory("meta")
        let configuration = try TestEnvironment.configuration(database: "postgres", backupDirectory: directory)
        let proof = directory + "/shell-ran"
        let other = TestEnvironment.databaseName("other")
        try TestDatabases.markerDatabase(other, label: "untouched")
        let cases: [(String, Int)] = [
            ("CREATE TABLE t(x int);\n\\! touch \(proof)\nINSERT INTO t VALUES (1);\n-- PostgreSQL database dump complete\n", 2),
            ("SET client_encoding = 'UTF8';\nCREATE TABLE t(x int);\n\\connect \(other)\nDROP TABLE marker;\n-- PostgreSQL database dump complete\n", 3),
            ("CREATE TABLE t(x int); \\! touch \(proof)\n-- PostgreSQL database dump complete\n", 1),
        ]
        for (index, (text, line)) in cases.enumerated() {
            let archive = directory + "/evil\(index).sql.gz"
            try TestDatabases.gzip(text, to: archive)
            let target = TestEnvironment.databaseName("evil")
            let result = try RestoreOperation(configuration: configuration).run(source: .file(archive), targetDatabase: target)
            #expect(!result.succeeded)
            #expect(result.failure?.contains("line \(line)") == true, "\(result.failure ?? "")")
            #expect(result.failure?.contains("meta-command") == true, "\(result.failure ?? "")")
            #expect(try !TestDatabases.exists(target))
            #expect(!FileManager.default.fileExists(atPath: proof), "the shell command ran")
            let verdict = ArchiveVerifier().verify(archivePath: archive, manifestPath: nil, requireManifest: false)
            #expect(!verdict.valid)
        }
        #expect(try TestEnvironment.psql("SELECT label FROM marker", database: other) == "untouched")

        // Backslashes as data stay data: in COPY data, quotes, dollar quotes and comments.
        let benign = "\\restrict abc123\nCREATE TABLE t(x text);\nCOPY public.t (x) FROM stdin;\n\\\\N\n\\N\nback\\\\slash\n\\.\nSELECT 'a\\b', E'it\\'s \\\\', $f$\n\\! not a command $f$, \"q\\\" -- \\x\n/* \\x\n /* nested */ \\y */ SELECT 1;\n\\unrestrict abc123\n-- PostgreSQL database dump complete\n"
        let benignArchive = directory + "/benign.sql.gz"
        try TestDatabases.gzip(benign, to: benignArchive)
        let benignVerdict = ArchiveVerifier().verify(archivePath: benignArchive, manifestPath: nil, requireManifest: false)
        #expect(benignVerdict.valid, "\(benignVerdict.problems)")
    }

    @Test("pra's own archives record pg_dump's \\restrict key; an archive with an injected meta-command or another key is refused")
    func restrictKeyRecorded() throws {
        let database = try TestEnvironment.fixtureDatabase("restrict", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("restrict")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let backup = try BackupOperation(configuration: configuration).run()
        let manifest = try BackupManifest.load(path: backup.manifest)
        let text = try TestDatabases.gunzip(backup.archive)
        let dumpKey = DumpScanner.restrictKey(inHead: Array(text.utf8.prefix(8192)))
        #expect(manifest.restrictKey == dumpKey)
        if let key = manifest.restrictKey {
            #expect(text.contains("\\restrict \(key)"))
        }
        let proof = directory + "/shell-ran"
        // The attacker rewrites the archive and a consistent manifest (size, SHA-256).
        func tamper(_ newText: String, key: String?) throws -> String {
            let archive = directory + "/" + BackupArchiveName(prefix: "tampered", timestamp: Date()).fileName
            try TestDatabases.gzip(newText, to: archive)
            var forged = manifest
            forged.archive = (archive as NSString).lastPathComponent
            let data = try Data(contentsOf: URL(fileURLWithPath: archive))
            forged.compressedBytes = UInt64(data.count)
            forged.uncompressedBytes = UInt64(newText.utf8.count)
            forged.sha256 = try FileDigest(path: archive).sha256
            forged.restrictKey = key
            try forged.encoded().write(to: URL(fileURLWithPath: archive + BackupArchiveName.manifestSuffix))
            return archive
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let injectAt = lines.firstIndex { $0.hasPrefix("SET ") } ?? 1
        var injected = lines
        injected.insert("\\! touch \(proof)", at: injectAt)
        let evil = try tamper(injected.joined(separator: "\n"), key: manifest.restrictKey)
        let result = try RestoreOperation(configuration: configuration).run(source: .file(evil), targetDatabase: database + "_evil")
        #expect(!result.succeeded)
        #expect(result.failure?.contains("line \(injectAt + 1)") == true, "\(result.failure ?? "")")
        #expect(!FileManager.default.fileExists(atPath: proof))
        #expect(try !TestDatabases.exists(database + "_evil"))

        if manifest.restrictKey != nil {
            // A manifest whose key is not the dump's.
            let otherKey = try tamper(text, key: "NotTheKey123")
            let verdict = ArchiveVerifier().verify(archivePath: otherKey, manifestPath: otherKey + BackupArchiveName.manifestSuffix, requireManifest: true)
            #expect(!verdict.valid)
            #expect(verdict.problems.contains { $0.kind == .metaCommand && $0.message.contains("key") }, "\(verdict.problems)")
        }
        // The untouched archive restores.
        let good = try RestoreOperation(configuration: configuration).run(source: .file(backup.archive), targetDatabase: database + "_good")
        #expect(good.succeeded, "\(good.failure ?? "")")
    }
}
