import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// A restore never lets an archive run a psql meta-command (`\!` runs a shell command as the
/// OS user psql runs as): the scanner refuses the forms on which it and psql could disagree,
/// psql itself is restricted with a key of pra's, and it never runs as root.
@Suite("restore never runs commands from an archive", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct RestorePsqlCommandTests {
    static let header = "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n--\n-- Name: t; Type: TABLE; Schema: public; Owner: postgres\n--\n\nCREATE TABLE public.t (a text);\n\n"

    /// The attacks of a hostile review, each ending in a `\!` that would create `proof`.
    static func attacks(proof: String) -> [(label: String, text: String)] {
        // Each a complete-looking dump (the trailer present): psql runs a line as soon as it reads it.
        let trailer = "\n-- PostgreSQL database dump complete\n\n"
        return [
            ("a string ended differently once standard_conforming_strings is off",
             header + "SET standard_conforming_strings = off;\nSELECT 'x\\'';\n\\! touch \(proof)\nSELECT '';\n" + trailer),
            ("COPY TO STDOUT whose line ends with a comment that looks like FROM stdin",
             header + "COPY (SELECT 1) TO STDOUT; -- FROM stdin;\n\\! touch \(proof)\n\\.\n" + trailer),
            ("COPY spread over two lines, its data holding a quote",
             header + "--\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\nCOPY public.t (a) FROM\nstdin;\n'\n\\.\n\\! touch \(proof)\n" + trailer),
            ("COPY after another statement on the same line",
             header + "--\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\nSELECT 1; COPY public.t (a) FROM stdin;\n'\n\\.\n\\! touch \(proof)\n" + trailer),
        ]
    }

    @Test("the hostile review's dumps are refused on the one-connection and the parallel load, nothing runs", arguments: ["1", "2"])
    func hostileDumpsRefused(jobs: String) throws {
        let directory = TestEnvironment.temporaryDirectory("psqlcmd")
        chmod(directory, 0o777)
        let proof = directory + "/shell-ran"
        let configuration = try TestEnvironment.configuration(database: "postgres", backupDirectory: directory, extra: ["PRA_JOBS": jobs])
        for (index, attack) in Self.attacks(proof: proof).enumerated() {
            let archive = directory + "/evil\(index).sql.gz"
            try TestDatabases.gzip(attack.text, to: archive)
            let target = TestEnvironment.databaseName("psqlcmd")
            let result = try RestoreOperation(configuration: configuration).run(source: .file(archive), targetDatabase: target)
            #expect(!result.succeeded, "\(attack.label)")
            #expect(!FileManager.default.fileExists(atPath: proof), "\(attack.label): the shell command ran (PRA_JOBS=\(jobs))")
            #expect(try !TestDatabases.exists(target), "\(attack.label)")
        }
    }

    @Test("an archive fetched from the off-site copy goes through the same refusal")
    func hostileRemoteCopyRefused() throws {
        let database = try TestEnvironment.fixtureDatabase("psqlremote", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("psqlremote")
        let remote = TestEnvironment.temporaryDirectory("psqlremote-remote")
        chmod(directory, 0o777)
        let proof = directory + "/shell-ran"
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["REMOTE_TARGET": remote])
        let backup = try BackupOperation(configuration: configuration).run()
        // The attacker replaces the off-site copy with a well-formed forgery (size, SHA-256 and key consistent).
        let manifest = try BackupManifest.load(path: backup.manifest)
        let text = try TestDatabases.gunzip(backup.archive)
        let attack = text.replacingOccurrences(of: "SET standard_conforming_strings = on;\n", with: "SET standard_conforming_strings = off;\nSELECT 'x\\'';\n\\! touch \(proof)\nSELECT '';\n")
        #expect(attack != text)
        try TestDatabases.gzip(attack, to: backup.archive)
        var forged = manifest
        forged.compressedBytes = UInt64(try Data(contentsOf: URL(fileURLWithPath: backup.archive)).count)
        forged.uncompressedBytes = UInt64(attack.utf8.count)
        forged.sha256 = try FileDigest(path: backup.archive).sha256
        try forged.encoded().write(to: URL(fileURLWithPath: backup.manifest))
        _ = try RemoteCopyOperation(configuration: configuration)?.copy(archivePath: backup.archive, manifestPath: backup.manifest)
        try FileManager.default.removeItem(atPath: backup.archive)
        try FileManager.default.removeItem(atPath: backup.manifest)
        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_evil")
        #expect(!result.succeeded)
        #expect(!result.fetchedFromRemote.isEmpty, "the off-site copy was not used: \(result.failure ?? "")")
        #expect(!FileManager.default.fileExists(atPath: proof), "the shell command ran")
    }

    @Test("psql itself refuses meta-commands after pra's \\restrict line, whatever the scanner saw")
    func psqlRestricted() throws {
        let directory = TestEnvironment.temporaryDirectory("psqlrestrict")
        chmod(directory, 0o777)
        let proof = directory + "/shell-ran"
        let configuration = try TestEnvironment.configuration(database: "postgres", backupDirectory: directory)
        let settings = try configuration.connectionSettings()
        let psql = try PsqlProgram(configuration: configuration, settings: settings, applicationName: "pra-test")
        // Straight to psql, bypassing the scanner: what pra writes first, then a meta-command.
        let process = psql.process(arguments: PsqlProgram.scriptArguments)
        let outcome = try process.run { writer in
            try psql.writePreamble(to: writer)
            try Data("SELECT 1;\n\\! touch \(proof)\n".utf8).withUnsafeBytes { _ = try writer.write($0) }
        }
        #expect(!outcome.succeeded)
        #expect(outcome.standardError.contains("restricted"), "\(outcome.standardError)")
        #expect(!FileManager.default.fileExists(atPath: proof))
        // Each restore draws its own key.
        #expect(PsqlRestriction().key != PsqlRestriction().key)
        #expect(PsqlRestriction.supports(versionOutput: "psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"))
        #expect(!PsqlRestriction.supports(versionOutput: "psql (PostgreSQL) 15.13"))
        #expect(PsqlRestriction.supports(versionOutput: "psql (PostgreSQL) 18.1"))
    }

    @Test("as root, psql (and every program pra hands an account) runs as RUN_AS_USER, never as root",
          .enabled(if: TestEnvironment.isRoot, "the rule is about pra running as root"))
    func psqlNeverRoot() throws {
        let configuration = try TestEnvironment.configuration(database: "postgres", backupDirectory: TestEnvironment.temporaryDirectory("psqlroot"))
        let psql = try PsqlProgram(configuration: configuration, settings: try configuration.connectionSettings(), applicationName: "pra-test")
        let user = try #require(psql.user)
        #expect(user.uid != 0)
        let id = try ExternalProcess(executable: "/usr/bin/id", arguments: ["-u"], environment: ChildEnvironment.base(), user: user).runChecked()
        #expect(id.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "\(user.uid)")
        #expect(throws: ConfigurationError.self) { try OSUser.unprivileged(configured: "root") }
        #expect(throws: ConfigurationError.self) { try OSUser.unprivileged(configured: "no-such-user-pra") }
        // A child's environment holds none of pra's secrets.
        let environment = ChildEnvironment.base(from: ["PATH": "/usr/bin", "AWS_SECRET_ACCESS_KEY": "s", "SMTP_PASSWORD": "p", "SLACK_WEBHOOK": "w", "DATABASE_URL": "u", "LC_ALL": "C"])
        #expect(environment == ["PATH": "/usr/bin", "LC_ALL": "C"])
    }
}
