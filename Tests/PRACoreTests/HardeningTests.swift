import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

/// Issue 9: each case where the core lost data or did the wrong thing silently, reproduced.
@Suite("hardening: nothing lost, nothing run, nothing mixed up", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct HardeningTests {
    // MARK: helpers

    /// A small database with one table `marker(label text)` holding `label`.
    static func markerDatabase(_ name: String, label: String? = nil, rows: Int = 1) throws {
        try TestEnvironment.psql("CREATE DATABASE \(PostgresConnection.quoteIdentifier(name)) TEMPLATE template0", database: "postgres")
        try TestEnvironment.psql("CREATE TABLE marker(label text); INSERT INTO marker SELECT $q$\(label ?? name)$q$ FROM generate_series(1, \(rows))", database: name)
    }

    static func exists(_ database: String) throws -> Bool {
        try TestEnvironment.psql("SELECT count(*) FROM pg_database WHERE datname = $q$\(database)$q$", database: "postgres") == "1"
    }

    /// gzip of `text`, written to `path`.
    static func gzip(_ text: String, to path: String) throws {
        let deflater = try GzipDeflater(level: 6)
        var output = Data()
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { buffer in
            try deflater.compress(buffer) { output.append(contentsOf: $0) }
        }
        try deflater.finish { output.append(contentsOf: $0) }
        try output.write(to: URL(fileURLWithPath: path))
    }

    static func gunzip(_ path: String) throws -> String {
        var text = Data()
        _ = try ArchiveVerifier().verify(archivePath: path, manifestPath: nil, requireManifest: false) { text.append(contentsOf: $0) }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: row 1

    @Test("row 1: restore --latest, status and retention see only their own database's backups; verify --all says whose")
    func scopedToOwnDatabase() throws {
        let prod = try TestEnvironment.fixtureDatabase("prod", scale: 0.01)
        let big = try TestEnvironment.fixtureDatabase("big", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("scope")
        let extra = ["BACKUP_RETENTION_DAYS": "0", "BACKUP_MIN_KEEP": "1", "DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"]
        let prodConfiguration = try TestEnvironment.configuration(database: prod, backupDirectory: directory, extra: extra)
        let bigConfiguration = try TestEnvironment.configuration(database: big, backupDirectory: directory, extra: extra)
        let prodBackup = try BackupOperation(configuration: prodConfiguration).run()
        sleep(1)
        let bigBackup = try BackupOperation(configuration: bigConfiguration).run()

        // The newest archive in the directory is big's: restore --latest for prod must still take prod's.
        let restored = try RestoreOperation(configuration: prodConfiguration).run(source: .latest, targetDatabase: prod + "_x")
        #expect(restored.succeeded, "\(restored.failure ?? "")")
        #expect(restored.archive == prodBackup.archive)

        // status for prod judges prod's backup.
        let status = try StatusOperation(configuration: prodConfiguration).run()
        let age = try #require(status.checks.first { $0.name == "backup age" })
        #expect(age.message.contains((prodBackup.archive as NSString).lastPathComponent), "\(age.message)")

        // Retention for prod (keep 1, 0 days) deletes prod's older backup, never big's.
        sleep(1)
        let second = try BackupOperation(configuration: prodConfiguration).run()
        #expect(second.deletedByRetention == [(prodBackup.archive as NSString).lastPathComponent])
        #expect(FileManager.default.fileExists(atPath: bigBackup.archive))
        #expect(FileManager.default.fileExists(atPath: bigBackup.manifest))

        // A backup whose prefix is prod's but whose manifest names another database is not prod's.
        #expect(BackupCatalogue(directory: directory).scoped(database: prod, prefix: prod).complete.count == 1)
        #expect(BackupCatalogue(directory: directory).scoped(database: "other", prefix: prod).complete.isEmpty)
    }

    @Test("row 1: restore --latest falling back to the remote copies takes only its own database's")
    func remoteScopedToOwnDatabase() throws {
        let prod = try TestEnvironment.fixtureDatabase("rprod", scale: 0.01)
        let big = try TestEnvironment.fixtureDatabase("rbig", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("rscope")
        let remote = TestEnvironment.temporaryDirectory("rscope-remote")
        let prodConfiguration = try TestEnvironment.configuration(database: prod, backupDirectory: directory, extra: ["REMOTE_TARGET": remote])
        let bigConfiguration = try TestEnvironment.configuration(database: big, backupDirectory: directory, extra: ["REMOTE_TARGET": remote])
        let prodBackup = try BackupOperation(configuration: prodConfiguration).run()
        _ = try RemoteCopyOperation(configuration: prodConfiguration)?.copy(archivePath: prodBackup.archive, manifestPath: prodBackup.manifest)
        sleep(1)
        let bigBackup = try BackupOperation(configuration: bigConfiguration).run()
        _ = try RemoteCopyOperation(configuration: bigConfiguration)?.copy(archivePath: bigBackup.archive, manifestPath: bigBackup.manifest)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.contains("_backup_full_") {
            try FileManager.default.removeItem(atPath: directory + "/" + name)
        }
        let restored = try RestoreOperation(configuration: prodConfiguration).run(source: .latest, targetDatabase: prod + "_x")
        #expect(restored.succeeded, "\(restored.failure ?? "")")
        #expect(restored.fetchedFromRemote.first?.contains((prodBackup.archive as NSString).lastPathComponent) == true, "\(restored.fetchedFromRemote)")
    }

    // MARK: row 2

    @Test("row 2: replacing a target whose staging rename fails rolls back to the old target intact")
    func swapRollsBack() throws {
        let database = try TestEnvironment.fixtureDatabase("swap", scale: 0.02)
        let directory = TestEnvironment.temporaryDirectory("swap")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        _ = try BackupOperation(configuration: configuration).run()
        let victim = TestEnvironment.databaseName("victim")
        try Self.markerDatabase(victim, label: "precious")
        let staging = "\(victim)__pra_restoring"

        // A session that keeps (re)connecting to the staging database holds it during the rename.
        let hog = SessionHog(settings: TestEnvironment.sharedCluster.connectionSettings.with(database: staging))
        hog.start()
        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: victim, force: true)
        let connected = hog.stop()
        #expect(connected > 0, "the hog never reached the staging database")
        #expect(try Self.exists(victim), "the old target is gone")
        if result.succeeded {
            #expect(try TestEnvironment.psql("SELECT to_regclass('marker') IS NULL", database: victim) == "t")
        } else {
            #expect(try TestEnvironment.psql("SELECT label FROM marker", database: victim) == "precious")
        }
        #expect(try !Self.exists(staging))
        #expect(try !Self.exists(victim + "__pra_old"))

        // Without the hog, the same restore replaces it.
        let again = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: victim, force: true)
        #expect(again.succeeded, "\(again.failure ?? "")")
        #expect(try TestEnvironment.psql("SELECT to_regclass('marker') IS NULL", database: victim) == "t")
    }

    // MARK: row 3

    @Test("row 3: env files with CRLF, a BOM, trailing spaces; invalid UTF-8 named by line; unknown variables warned")
    func envFileEncodings() throws {
        let directory = TestEnvironment.temporaryDirectory("envfile")
        let crlf = directory + "/crlf.env"
        try Data("\u{FEFF}PGDATABASE=prod   \r\nBACKUP_DIR=/srv/backups\r\n# comment\r\nRPO_TARGET = 2h \r\n".utf8).write(to: URL(fileURLWithPath: crlf))
        let configuration = try Configuration(envFile: crlf, environment: [:])
        #expect(configuration["PGDATABASE"] == "prod")
        #expect(configuration["BACKUP_DIR"] == "/srv/backups")
        #expect(configuration["RPO_TARGET"] == "2h")

        let oldMac = try EnvFile.parse("PGDATABASE=a\rBACKUP_DIR=b\r")
        #expect(oldMac == ["PGDATABASE": "a", "BACKUP_DIR": "b"])

        let invalid = directory + "/latin1.env"
        try Data([0x50, 0x47, 0x55, 0x53, 0x45, 0x52, 0x3D, 0x61, 0x0A] + Array("BACKUP_DIR=/srv/donn".utf8) + [0xE9, 0x65, 0x73, 0x0A]).write(to: URL(fileURLWithPath: invalid))
        let error = #expect(throws: ConfigurationError.self) { try Configuration(envFile: invalid, environment: [:]) }
        #expect(error?.message.contains("latin1.env:2") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("UTF-8") == true)

        let typo = directory + "/typo.env"
        try Data("BACKUP_DIRR=/srv/backups\n".utf8).write(to: URL(fileURLWithPath: typo))
        let typoConfiguration = try Configuration(envFile: typo, environment: [:])
        #expect(typoConfiguration.warnings.contains { $0.contains("BACKUP_DIRR") && $0.contains("did you mean BACKUP_DIR?") }, "\(typoConfiguration.warnings)")
    }

    // MARK: row 4

    @Test("row 4: a restore never runs psql meta-commands from a stock archive; the refusal names the line")
    func metaCommandsInStockFile() throws {
        let directory = TestEnvironment.temporaryDirectory("meta")
        let configuration = try TestEnvironment.configuration(database: "postgres", backupDirectory: directory)
        let proof = directory + "/shell-ran"
        let other = TestEnvironment.databaseName("other")
        try Self.markerDatabase(other, label: "untouched")
        let cases: [(String, Int)] = [
            ("CREATE TABLE t(x int);\n\\! touch \(proof)\nINSERT INTO t VALUES (1);\n-- PostgreSQL database dump complete\n", 2),
            ("SET client_encoding = 'UTF8';\nCREATE TABLE t(x int);\n\\connect \(other)\nDROP TABLE marker;\n-- PostgreSQL database dump complete\n", 3),
            ("CREATE TABLE t(x int); \\! touch \(proof)\n-- PostgreSQL database dump complete\n", 1),
        ]
        for (index, (text, line)) in cases.enumerated() {
            let archive = directory + "/evil\(index).sql.gz"
            try Self.gzip(text, to: archive)
            let target = TestEnvironment.databaseName("evil")
            let result = try RestoreOperation(configuration: configuration).run(source: .file(archive), targetDatabase: target)
            #expect(!result.succeeded)
            #expect(result.failure?.contains("line \(line)") == true, "\(result.failure ?? "")")
            #expect(result.failure?.contains("meta-command") == true, "\(result.failure ?? "")")
            #expect(try !Self.exists(target))
            #expect(!FileManager.default.fileExists(atPath: proof), "the shell command ran")
            let verdict = ArchiveVerifier().verify(archivePath: archive, manifestPath: nil, requireManifest: false)
            #expect(!verdict.valid)
        }
        #expect(try TestEnvironment.psql("SELECT label FROM marker", database: other) == "untouched")

        // Backslashes as data stay data: in COPY data, quotes, dollar quotes and comments.
        let benign = "\\restrict abc123\nCREATE TABLE t(x text);\nCOPY public.t (x) FROM stdin;\n\\\\N\n\\N\nback\\\\slash\n\\.\nSELECT 'a\\b', E'it\\'s \\\\', $f$\n\\! not a command $f$, \"q\\\" -- \\x\n/* \\x\n /* nested */ \\y */ SELECT 1;\n\\unrestrict abc123\n-- PostgreSQL database dump complete\n"
        let benignArchive = directory + "/benign.sql.gz"
        try Self.gzip(benign, to: benignArchive)
        let benignVerdict = ArchiveVerifier().verify(archivePath: benignArchive, manifestPath: nil, requireManifest: false)
        #expect(benignVerdict.valid, "\(benignVerdict.problems)")
    }

    @Test("row 4: pra's own archives record pg_dump's \\restrict key; an archive with an injected meta-command or another key is refused")
    func restrictKeyRecorded() throws {
        let database = try TestEnvironment.fixtureDatabase("restrict", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("restrict")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let backup = try BackupOperation(configuration: configuration).run()
        let manifest = try BackupManifest.load(path: backup.manifest)
        let text = try Self.gunzip(backup.archive)
        let dumpKey = DumpScanner.restrictKey(inHead: Array(text.utf8.prefix(8192)))
        #expect(manifest.restrictKey == dumpKey)
        if let key = manifest.restrictKey {
            #expect(text.contains("\\restrict \(key)"))
        }
        let proof = directory + "/shell-ran"
        // The attacker rewrites the archive and a consistent manifest (size, SHA-256).
        func tamper(_ newText: String, key: String?) throws -> String {
            let archive = directory + "/" + BackupArchiveName(prefix: "tampered", timestamp: Date()).fileName
            try Self.gzip(newText, to: archive)
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
        #expect(try !Self.exists(database + "_evil"))

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

    // MARK: row 5

    @Test("row 5: lock, log and temporary files are never opened through a symbolic link")
    func symlinksRefused() throws {
        let database = try TestEnvironment.fixtureDatabase("symlink", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("symlink")
        let precious = TestEnvironment.temporaryDirectory("precious") + "/precious.txt"
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: precious))
        try FileManager.default.createSymbolicLink(atPath: directory + "/.pra-backup.lock", withDestinationPath: precious)
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let error = #expect(throws: OperationFailure.self) { try BackupOperation(configuration: configuration).run() }
        #expect(error?.stage == "lock")
        #expect(error?.message.contains("symbolic link") == true, "\(error?.message ?? "")")
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "keep me\n")

        let logs = TestEnvironment.temporaryDirectory("symlog")
        try FileManager.default.createSymbolicLink(atPath: logs + "/" + CommandLog.fileName(command: "backup", date: Date()), withDestinationPath: precious)
        #expect(throws: FileError.self) { try CommandLog().open(directory: logs, command: "backup") }
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "keep me\n")
    }

    // MARK: row 6

    @Test("row 6: SMTP credentials are never sent without TLS unless SMTP_ALLOW_PLAINTEXT=true",
          .enabled(if: LoopbackSMTPServer.available, "python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)"))
    func smtpCredentialsNeedTLS() throws {
        let server = try LoopbackSMTPServer(credentials: ("pra", "pw-in-clear"))
        let environment = ["ALERT_EMAIL": "oncall@example.com", "SMTP_URL": server.url, "SMTP_USER": "pra", "SMTP_PASSWORD": "pw-in-clear"]
        let dispatcher = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: environment))
        let alert = Alert(kind: .failure, command: "backup", what: "backup failed", location: "here", detail: "x", host: "db01", time: Date())
        let warnings = dispatcher.warnings(for: dispatcher.send(alert))
        #expect(warnings.count == 1, "\(warnings)")
        #expect(server.messages.isEmpty, "the password went out in clear")

        var allowed = environment
        allowed["SMTP_ALLOW_PLAINTEXT"] = "true"
        let plain = AlertDispatcher(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: allowed))
        #expect(plain.warnings(for: plain.send(alert)).isEmpty)
        #expect(server.messages.first?.user == "pra")
    }

    // MARK: row 8

    @Test("row 8: the source guard uses the connected database and the manifest's; --replace-source; in-place recovery of a dropped source")
    func sourceGuard() throws {
        let prod = TestEnvironment.databaseName("prod")
        try Self.markerDatabase(prod, label: "live")
        let directory = TestEnvironment.temporaryDirectory("guard")
        let prodConfiguration = try TestEnvironment.configuration(database: prod, backupDirectory: directory)
        let backup = try BackupOperation(configuration: prodConfiguration).run()
        try TestEnvironment.psql("INSERT INTO marker VALUES ('written after the backup')", database: prod)

        // PGDATABASE unset: libpq connects to the user's database; the manifest still says prod.
        var environment = TestEnvironment.environment(database: prod, backupDirectory: directory)
        environment["PGDATABASE"] = nil
        let unset = try Configuration(envFile: TestEnvironment.noEnvFile, environment: environment)
        let refused = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: unset).run(source: .file(backup.archive), targetDatabase: prod, force: true) }
        #expect(refused?.isUsageError == true)
        #expect(refused?.message.contains("--replace-source") == true, "\(refused?.message ?? "")")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM marker", database: prod) == "2")

        // The connected database is the user's ("postgres"): never a target either.
        let postgres = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: unset).run(source: .file(backup.archive), targetDatabase: "postgres", force: true) }
        #expect(postgres?.message.contains("source database") == true)

        // On purpose: --replace-source.
        let replaced = try RestoreOperation(configuration: unset).run(source: .file(backup.archive), targetDatabase: prod, force: true, replaceSource: true)
        #expect(replaced.succeeded, "\(replaced.failure ?? "")")
        #expect(try TestEnvironment.psql("SELECT count(*) FROM marker", database: prod) == "1")

        // The source dropped: restoring it under its own name is in-place recovery.
        try TestEnvironment.psql("DROP DATABASE \(PostgresConnection.quoteIdentifier(prod)) WITH (FORCE)", database: "postgres")
        let recovered = try RestoreOperation(configuration: prodConfiguration).run(source: .latest, targetDatabase: prod)
        #expect(recovered.succeeded, "\(recovered.failure ?? "")")
        #expect(try TestEnvironment.psql("SELECT label FROM marker", database: prod) == "live")
    }

    // MARK: row 9

    @Test("row 9: database names that look like paths, options, connection strings or are not ASCII back up and restore")
    func awkwardDatabaseNames() throws {
        let suffix = UUID().uuidString.prefix(6).lowercased()
        let decoy = "prod_\(suffix)"
        try Self.markerDatabase(decoy, label: "decoy")
        let stray = "/tmp/pra-x-\(suffix).sql"
        let names = ["../escape_\(suffix)", "-f\(stray)", "dbname=\(decoy)", "données_\(suffix)"]
        let directory = TestEnvironment.temporaryDirectory("names")
        for name in names {
            try Self.markerDatabase(name)
            let configuration = try TestEnvironment.configuration(database: name, backupDirectory: directory)
            let backup = try BackupOperation(configuration: configuration).run()
            #expect((backup.archive as NSString).deletingLastPathComponent == directory, "\(backup.archive)")
            let file = (backup.archive as NSString).lastPathComponent
            #expect(!file.hasPrefix("-") && !file.contains("..") && file.allSatisfy { $0.isASCII }, "\(file)")
            #expect(try BackupManifest.load(path: backup.manifest).database == name)
            let target = "r_" + UUID().uuidString.prefix(8).lowercased()
            let restored = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target)
            #expect(restored.succeeded, "\(name): \(restored.failure ?? "")")
            #expect(try TestEnvironment.psql("SELECT label FROM marker", database: target) == name)
        }
        #expect(!FileManager.default.fileExists(atPath: stray))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/tmp").allSatisfy { !$0.hasPrefix("escape_\(suffix)") })
        #expect(BackupArchiveName.safePrefix("a/b") != BackupArchiveName.safePrefix("a_b"))
        #expect(BackupOperation.connectionString(database: "it's \\") == "dbname='it\\'s \\\\'")
    }

    // MARK: row 11

    @Test("row 11: a manifest from the future or disagreeing with its archive's size is no backup; out-of-range fields are named")
    func implausibleManifests() throws {
        let database = try TestEnvironment.fixtureDatabase("future", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("future")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        let name = BackupArchiveName(prefix: database, timestamp: Date())
        let archive = directory + "/" + name.fileName
        try Data().write(to: URL(fileURLWithPath: archive))
        let far = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01
        let manifest = BackupManifest(database: database, serverVersion: "15", pgDumpVersion: "15", startedAt: far, finishedAt: far, archive: name.fileName, compressedBytes: 0, uncompressedBytes: 0, sha256: String(repeating: "0", count: 64), compressionLevel: 6, snapshot: "x", tables: [])
        try manifest.encoded().write(to: URL(fileURLWithPath: archive + BackupArchiveName.manifestSuffix))
        let report = try StatusOperation(configuration: configuration).run()
        let age = try #require(report.checks.first { $0.name == "backup age" })
        #expect(age.level == .critical, "\(age.message)")
        #expect(age.message.contains("future"), "\(age.message)")
        #expect(!age.message.contains(" -"), "\(age.message)")

        // A real, fresh backup, then its archive shrinks: not a backup any more.
        let backup = try BackupOperation(configuration: configuration).run()
        #expect(try StatusOperation(configuration: configuration).run().checks.first { $0.name == "backup age" }?.level == .ok)
        try FileManager.default.removeItem(atPath: archive)
        try FileManager.default.removeItem(atPath: archive + BackupArchiveName.manifestSuffix)
        #expect(truncate(backup.archive, 10) == 0)
        let shrunk = try #require(try StatusOperation(configuration: configuration).run().checks.first { $0.name == "backup age" })
        #expect(shrunk.level == .critical, "\(shrunk.message)")
        #expect(shrunk.message.contains("10 bytes"), "\(shrunk.message)")

        // Numbers out of range: "manifest invalid: field X", not "not JSON".
        var json = String(decoding: manifest.encoded(), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"compressedBytes\" : 0", with: "\"compressedBytes\" : -5")
        let path = directory + "/range.manifest.json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ArchiveError.self) { try BackupManifest.load(path: path) }
        #expect(error?.description.contains("manifest invalid: field compressedBytes") == true, "\(error?.description ?? "")")
        json = json.replacingOccurrences(of: "\"compressedBytes\" : -5", with: "\"compressedBytes\" : 1e400")
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let huge = #expect(throws: ArchiveError.self) { try BackupManifest.load(path: path) }
        #expect(huge?.description.contains("not JSON") == false, "\(huge?.description ?? "")")
        #expect(huge?.description.contains("manifest invalid") == true, "\(huge?.description ?? "")")
    }

    // MARK: row 12

    @Test("row 12: cluster attach acts only on a cluster pra created (state naming its own directory, matching token)")
    func clusterToken() throws {
        let bystander = TestEnvironment.temporaryDirectory("bystander")
        try Data("data\n".utf8).write(to: URL(fileURLWithPath: bystander + "/file"))
        let crafted = TestEnvironment.temporaryDirectory("crafted")
        let state = ScratchCluster.State(directory: bystander, port: 5999, binDirectory: "/usr/bin", runAsUser: nil, token: "t")
        try JSONCoding.encoder.encode(state).write(to: URL(fileURLWithPath: crafted + "/pra-cluster.json"))
        try Data("t\n".utf8).write(to: URL(fileURLWithPath: crafted + "/.pra-cluster-token"))
        #expect(throws: ScratchCluster.NotACluster.self) { try ScratchCluster(attachingTo: crafted) }
        // Naming itself but without the token file: refused too.
        let noToken = TestEnvironment.temporaryDirectory("notoken")
        let own = ScratchCluster.State(directory: noToken, port: 5999, binDirectory: "/usr/bin", runAsUser: nil, token: "t")
        try JSONCoding.encoder.encode(own).write(to: URL(fileURLWithPath: noToken + "/pra-cluster.json"))
        #expect(throws: ScratchCluster.NotACluster.self) { try ScratchCluster(attachingTo: noToken) }
        #expect(FileManager.default.fileExists(atPath: bystander + "/file"))

        // A real one attaches and tears down.
        let cluster = try ScratchCluster()
        cluster.makePersistent()
        let attached = try ScratchCluster(attachingTo: cluster.directory)
        attached.teardown()
        #expect(!FileManager.default.fileExists(atPath: cluster.directory))
    }

    // MARK: row 13

    @Test("row 13: the next backup removes partial files whose writer is gone, says so, and leaves a live writer's alone")
    func orphanedPartials() throws {
        let database = try TestEnvironment.fixtureDatabase("partial", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("partial")
        let orphan = directory + "/.\(database)_backup_full_20260101_000000.sql.gz.partial"
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: orphan))
        let live = try DurableFile(finalPath: directory + "/live.bin")
        try live.write(Data(repeating: 1, count: 10))
        var old = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
        #expect(utimes(orphan, &old) == 0)
        #expect(utimes(live.temporaryPath, &old) == 0)
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let result = try BackupOperation(configuration: configuration).run()
        #expect(!FileManager.default.fileExists(atPath: orphan))
        #expect(result.warnings.contains { $0.contains("removed") && $0.contains((orphan as NSString).lastPathComponent) }, "\(result.warnings)")
        #expect(FileManager.default.fileExists(atPath: live.temporaryPath), "a live writer's file was removed")
        live.discard()
    }

    // MARK: row 14

    @Test("row 14: restore reports written in the same second never collide")
    func reportNames() throws {
        let directory = TestEnvironment.temporaryDirectory("reports")
        let started = Date()
        var paths: Set<String> = []
        for index in 0..<3 {
            var result = RestoreResult(targetDatabase: "t\(index)", startedAt: started)
            result.failure = "attempt \(index)"
            paths.insert(try RestoreReport(result: result).write(to: directory))
        }
        #expect(paths.count == 3)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("pra_restore_report_") }
        #expect(files.count == 3, "\(files)")
        #expect(!files.contains { $0.hasSuffix(".partial") })
    }

    // MARK: row 15

    @Test("row 15: every secret redacted whatever its length; permission warning for every secret; malformed lines show the key only")
    func secrets() throws {
        let redactor = SecretRedactor(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["PGPASSWORD": "q7Z", "SMTP_PASSWORD": "k9"]))
        #expect(redactor.redact("password q7Z and k9") == "password *** and ***")

        let directory = TestEnvironment.temporaryDirectory("secrets")
        let file = directory + "/smtp.env"
        try Data("SMTP_PASSWORD=s3cret-value\n".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o644)
        let configuration = try Configuration(envFile: file, environment: [:])
        #expect(configuration.warnings.contains { $0.contains("SMTP_PASSWORD") && $0.contains("chmod 600") }, "\(configuration.warnings)")

        let malformed = directory + "/malformed.env"
        try Data("PGDATABASE=x\nPGPASSWORD Secret-Sauce\n".utf8).write(to: URL(fileURLWithPath: malformed))
        let error = #expect(throws: ConfigurationError.self) { try Configuration(envFile: malformed, environment: [:]) }
        #expect(error?.message.contains("malformed.env:2") == true)
        #expect(error?.message.contains("PGPASSWORD") == true)
        #expect(error?.message.contains("Secret-Sauce") == false, "\(error?.message ?? "")")
    }

    // MARK: row 16

    @Test("row 16: a second restore into the same target is refused while the first runs, which completes")
    func oneRestorePerTarget() throws {
        let database = try TestEnvironment.fixtureDatabase("twice", scale: 0.2)
        let directory = TestEnvironment.temporaryDirectory("twice")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        _ = try BackupOperation(configuration: configuration).run()
        let target = database + "_t"
        let first = RestoreThread(configuration: configuration, target: target)
        first.start()
        // Wait until the first restore loads (its staging database has a psql session).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try TestEnvironment.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = '\(target)__pra_restoring'", database: "postgres") == "0" {
            usleep(20_000)
        }
        let second = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target, force: true) }
        #expect(second?.message.contains("another restore into \(target)") == true, "\(second?.message ?? "")")
        let outcome = first.wait()
        #expect(outcome?.succeeded == true, "the first restore was disturbed: \(outcome?.failure ?? "threw")")
    }

    // MARK: row 17

    @Test("row 17: restore --file of a directory says so in a plain sentence")
    func directoryAsArchive() throws {
        let directory = TestEnvironment.temporaryDirectory("dirarchive")
        let configuration = try TestEnvironment.configuration(database: "postgres", backupDirectory: directory)
        let error = #expect(throws: OperationFailure.self) { try RestoreOperation(configuration: configuration).run(source: .file(directory), targetDatabase: "never_created") }
        #expect(error?.message == "\(directory) is a directory, not an archive file", "\(error?.message ?? "")")
        let verdict = ArchiveVerifier().verify(archivePath: directory, manifestPath: nil, requireManifest: false)
        #expect(verdict.problems.first?.message.contains("is a directory") == true)
        #expect(!verdict.problems.contains { $0.message.contains("NSCocoaErrorDomain") })
    }
}

/// Keeps a session open on a database, reconnecting whenever it is dropped, until stopped.
final class SessionHog: @unchecked Sendable {
    let settings: ConnectionSettings
    private let lock = NSLock()
    private var running = true
    private var connects = 0
    private let done = DispatchSemaphore(value: 0)

    init(settings: ConnectionSettings) {
        self.settings = settings
    }

    func start() {
        Thread { [self] in
            var connection: PostgresConnection?
            while lock.withLock({ running }) {
                if let current = connection, (try? current.execute("SELECT 1")) == nil { connection = nil }
                if connection == nil, let made = try? PostgresConnection(settings, applicationName: "hog") {
                    connection = made
                    lock.withLock { connects += 1 }
                }
                usleep(5_000)
            }
            connection = nil
            done.signal()
        }.start()
    }

    func stop() -> Int {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { connects }
    }
}

/// A restore on a thread of its own.
final class RestoreThread: @unchecked Sendable {
    let configuration: Configuration
    let target: String
    private var result: RestoreResult?
    private let done = DispatchSemaphore(value: 0)

    init(configuration: Configuration, target: String) {
        self.configuration = configuration
        self.target = target
    }

    func start() {
        Thread { [self] in
            result = try? RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target, force: true)
            done.signal()
        }.start()
    }

    func wait() -> RestoreResult? {
        done.wait()
        return result
    }
}
