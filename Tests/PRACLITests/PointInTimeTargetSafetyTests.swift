import Foundation
import PRACore
import PRATestSupport
import Testing

/// `pra restore --pitr` as root, against a base backup and a target directory that the server's
/// account (which writes `BACKUP_DIR` by design) or another local user could have prepared.
@Suite("point-in-time restore: hostile base backups and target directories never reach root", .serialized,
       .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not installed"))
struct PointInTimeTargetSafetyTests {
    /// Rewrites the newest base backup of `server` with python's tarfile: `hostile` (Python,
    /// with `out` the new tar, `t` the original, `m` each member, `src` its content) decides,
    /// then the pra manifest is rewritten to match (size, SHA-256): a well-formed forgery.
    static func forge(_ server: ArchivingCluster, original: Data, archive: String, _ hostile: String) throws {
        let script = """
        import io, sys, tarfile, gzip
        raw = gzip.decompress(open(sys.argv[1], 'rb').read())
        t = tarfile.open(fileobj=io.BytesIO(raw), mode='r:')
        buffer = io.BytesIO()
        out = tarfile.open(fileobj=buffer, mode='w:', format=tarfile.GNU_FORMAT if 'PAX' not in sys.argv[3] else tarfile.PAX_FORMAT)
        def add(name, type=tarfile.REGTYPE, mode=0o600, data=b'', linkname=''):
            info = tarfile.TarInfo(name); info.type = type; info.mode = mode; info.size = len(data) if type == tarfile.REGTYPE else 0; info.linkname = linkname
            out.addfile(info, io.BytesIO(data) if type == tarfile.REGTYPE else None)
        first = True
        for m in t.getmembers():
            src = t.extractfile(m) if m.isfile() else None
        \(hostile.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            first = False
            if m.name == 'SKIP': continue
            out.addfile(m, src)
        out.close()
        open(sys.argv[2], 'wb').write(gzip.compress(buffer.getvalue(), 6))
        """
        let scriptPath = TestEnvironment.temporaryDirectory("forge") + "/forge.py"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let originalPath = scriptPath + ".orig.gz"
        try original.write(to: URL(fileURLWithPath: originalPath))
        let python = try SystemProgram.locate("python3", package: "python3")
        try ExternalProcess(executable: python, arguments: [scriptPath, originalPath, archive, hostile], environment: ChildEnvironment.base(), timeout: 120).runChecked()
        var manifest = try BaseBackupManifest.load(path: archive + BackupArchiveName.manifestSuffix)
        let data = try Data(contentsOf: URL(fileURLWithPath: archive))
        manifest.compressedBytes = UInt64(data.count)
        manifest.sha256 = try FileDigest(path: archive).sha256
        try manifest.encoded().write(to: URL(fileURLWithPath: archive + BackupArchiveName.manifestSuffix))
        try? FileManager.default.removeItem(atPath: archive + BackupArchiveName.verificationSuffix)
    }

    @Test("tar entries no base backup holds are refused before tar sees them, and nothing is written outside the target",
          .enabled(if: TestEnvironment.isRoot, "the attack is on pra running as root"))
    func hostileTarEntriesRefused() throws {
        let server = try ArchivingCluster(label: "forged")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        let entry = try #require(BaseBackupCatalogue(directory: server.backupDirectory).complete.first)
        let original = try Data(contentsOf: URL(fileURLWithPath: entry.archivePath))
        // A file of root's that the forged configuration points at.
        let outside = TestEnvironment.temporaryDirectory("forged-outside") + "/root-owned.conf"
        try "# root's own file\n".write(toFile: outside, atomically: true, encoding: .utf8)
        let cases: [(label: String, python: String, reason: String)] = [
            ("setuid file", "if first: add('global/pra_setuid', mode=0o4755, data=b'#!/bin/sh\\nid\\n')", "setuid"),
            ("setgid directory", "if first: add('pra_dir', type=tarfile.DIRTYPE, mode=0o2755)", "setuid, setgid or sticky"),
            ("device node", "if first: add('pra_null', type=tarfile.CHRTYPE)", "device"),
            ("a world-writable global/", "if m.name == 'global':\n    m.mode = 0o777", "open to others"),
            ("FIFO", "if first: add('pra_fifo', type=tarfile.FIFOTYPE)", "FIFO"),
            ("hard link", "if first: add('pra_passwd', type=tarfile.LNKTYPE, linkname='/etc/passwd')", "hard link"),
            ("symbolic link out", "if first: add('pra_etc', type=tarfile.SYMTYPE, linkname='/etc')", "symbolic link"),
            ("postgresql.auto.conf as a link to a root file", "if m.name == 'postgresql.auto.conf':\n    add('postgresql.auto.conf', type=tarfile.SYMTYPE, linkname='\(outside)'); m.name = 'SKIP'", "symbolic link"),
            ("the . entry with mode 0755", "if first: add('./', type=tarfile.DIRTYPE, mode=0o755)", "the entry ."),
            ("a .. path", "if first: add('../pra_escaped', data=b'x')", ".."),
            ("an absolute path", "if first: add('/tmp/pra_absolute', data=b'x')", "absolute"),
            ("a pax header", "if first: add('PAX/' + 'x' * 120, data=b'x')", "pax"),
        ]
        for (label, python, reason) in cases {
            try Self.forge(server, original: original, archive: entry.archivePath, python)
            let target = server.targetDirectory("forged-t")
            let result = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop"])
            #expect(result.exitCode == 1, "\(label): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("holds what no base backup does") && result.stderr.contains(reason), "\(label): \(result.stderr)")
            #expect(try String(contentsOfFile: outside, encoding: .utf8) == "# root's own file\n", "\(label): the file outside was written")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/pra_absolute"), "\(label)")
            #expect(!FileManager.default.fileExists(atPath: (target as NSString).deletingLastPathComponent + "/pra_escaped"), "\(label)")
            #expect(!FileManager.default.fileExists(atPath: target), "\(label): the failed restore left its directory")
            server.stopRecovered(target)
        }
        // The genuine backup still restores.
        try original.write(to: URL(fileURLWithPath: entry.archivePath))
        var manifest = try BaseBackupManifest.load(path: entry.manifestPath)
        manifest.compressedBytes = UInt64(original.count)
        manifest.sha256 = try FileDigest(path: entry.archivePath).sha256
        try manifest.encoded().write(to: URL(fileURLWithPath: entry.manifestPath))
        let target = server.targetDirectory("forged-ok")
        let good = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop"])
        #expect(good.exitCode == 0, "\(good.stdout) \(good.stderr)")
        // Extracted by the server's account, not by root.
        var info = stat()
        #expect(stat(target + "/PG_VERSION", &info) == 0 && info.st_uid != 0)
        server.stopRecovered(target)
    }

    @Test("a forgery whose postgresql.auto.conf disagrees with PostgreSQL's backup_manifest (archive and pra manifest rewritten to match) is caught while the archive streams: verify names the file and both CRCs, restore --pitr skips the backup; the genuine one matches every CRC-32C in the same pass")
    func contentDisagreeingWithBackupManifest() throws {
        let server = try ArchivingCluster(label: "forged-crc")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        let entry = try #require(BaseBackupCatalogue(directory: server.backupDirectory).complete.first)
        let genuine = try BaseBackupVerifier().verify(entry)
        #expect(genuine.valid && genuine.postgresChecksumsMatched, "\(genuine.problems)")
        let original = try Data(contentsOf: URL(fileURLWithPath: entry.archivePath))
        // What the server would load at start, as its own account: code of the forger's choosing.
        try Self.forge(server, original: original, archive: entry.archivePath,
                       "if m.name == 'postgresql.auto.conf':\n    data = src.read() + b\"\\nshared_preload_libraries = 'pra_forged'\\n\"; m.size = len(data); src = io.BytesIO(data)")
        let verify = try server.pra(["verify", "--all"])
        #expect(verify.exitCode != 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("files differ from PostgreSQL's backup_manifest: postgresql.auto.conf: "), "\(verify.stdout)")
        let target = server.targetDirectory("forged-crc-t")
        let refused = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop"])
        #expect(refused.exitCode == 1, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("postgresql.auto.conf"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target), "the refused backup left its directory")
        server.stopRecovered(target)
    }

    @Test("--force never deletes: a target holding BACKUP_DIR, REPORT_DIR or a running cluster, or not a data directory, is refused; a data directory is moved aside and put back on failure")
    func forceNeverDeletes() throws {
        let server = try ArchivingCluster(label: "force")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        let before = try FileManager.default.subpathsOfDirectory(atPath: server.backupDirectory).count

        // The parent of BACKUP_DIR (and BACKUP_DIR itself).
        for holder in [(server.backupDirectory as NSString).deletingLastPathComponent, server.backupDirectory] {
            let refused = try server.pra(["restore", "--pitr", "--target-dir", holder, "--force"])
            #expect(refused.exitCode == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("holds BACKUP_DIR"), "\(refused.stderr)")
        }
        #expect(try FileManager.default.subpathsOfDirectory(atPath: server.backupDirectory).count >= before)
        #expect(BaseBackupCatalogue(directory: server.backupDirectory).complete.count == 1)

        // REPORT_DIR inside the target.
        let reportParent = server.targetDirectory("force-reports")
        let reports = reportParent + "/reports"
        try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
        let holdsReports = try server.pra(["restore", "--pitr", "--target-dir", reportParent, "--force"], extra: ["REPORT_DIR": reports])
        #expect(holdsReports.exitCode == 2 && holdsReports.stderr.contains("holds REPORT_DIR"), "\(holdsReports.stderr)")

        // The parent of a running cluster's data directory.
        let running = try server.pra(["restore", "--pitr", "--target-dir", server.cluster.directory, "--force"])
        #expect(running.exitCode == 2, "\(running.stderr)")
        #expect(running.stderr.contains("running on") && running.stderr.contains("postmaster.pid") || running.stderr.contains("is running on"), "\(running.stderr)")
        #expect(server.cluster.isRunning)

        // Not empty, not a data directory.
        let notData = server.targetDirectory("force-notdata")
        try FileManager.default.createDirectory(atPath: notData, withIntermediateDirectories: true)
        try "keep me".write(toFile: notData + "/notes.txt", atomically: true, encoding: .utf8)
        let refusedNotData = try server.pra(["restore", "--pitr", "--target-dir", notData, "--force"])
        #expect(refusedNotData.exitCode == 2 && refusedNotData.stderr.contains("not a PostgreSQL data directory"), "\(refusedNotData.stderr)")
        #expect(try String(contentsOfFile: notData + "/notes.txt", encoding: .utf8) == "keep me")

        // A data directory: moved aside, put back when the restore fails (a target before any backup).
        let old = server.targetDirectory("force-data")
        try FileManager.default.createDirectory(atPath: old, withIntermediateDirectories: true)
        try "15\n".write(toFile: old + "/PG_VERSION", atomically: true, encoding: .utf8)
        try "old data".write(toFile: old + "/marker", atomically: true, encoding: .utf8)
        let failing = try server.pra(["restore", "--pitr", "--target-dir", old, "--force", "--target-lsn", "0/1"])
        #expect(failing.exitCode != 0)
        #expect(try String(contentsOfFile: old + "/marker", encoding: .utf8) == "old data", "\(failing.stderr)")
        let parent = (old as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["data"])
    }

    @Test("a target owned by another account is refused (it would receive the cluster) unless --run-as names that account",
          .enabled(if: TestEnvironment.isRoot, "ownership checks apply when pra runs as root"))
    func targetOwnedByAnotherAccountRefused() throws {
        let server = try ArchivingCluster(label: "owner")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        let target = server.targetDirectory("owner-t")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let nobody = try #require(OSUser.named("nobody"))
        #expect(chown(target, nobody.uid, nobody.gid) == 0)
        let refused = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop"])
        #expect(refused.exitCode == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("owned by nobody") && refused.stderr.contains("--run-as nobody"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
        // RUN_AS_USER=root is refused outright.
        let asRoot = try server.pra(["restore", "--pitr", "--target-dir", server.targetDirectory("owner-root"), "--run-as", "root"])
        #expect(asRoot.exitCode == 2 && asRoot.stderr.contains("must not be root"), "\(asRoot.stderr)")
    }

    @Test("a restore point older than the newest base backup is reached from an older one (restore points are not indexed by time)")
    func olderRestorePointReached() throws {
        let server = try ArchivingCluster(label: "rpoint")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('before the point')")
        try server.sql("SELECT pg_create_restore_point('before_upgrade')")
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('after the point')")
        try server.switchAndWait()
        sleep(1)
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('after the second base backup')")
        try server.switchAndWait()
        let target = server.targetDirectory("rpoint-t")
        let restored = try server.pra(["restore", "--pitr", "--target-dir", target, "--target-name", "before_upgrade", "--json"])
        defer { server.stopRecovered(target) }
        #expect(restored.exitCode == 0, "\(restored.stdout) \(restored.stderr)")
        #expect(restored.stdout.contains("must be older"), "the newer base backup was tried first and said why it was left: \(restored.stdout)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(restored.stdout.utf8)) as? [String: Any])
        let details = try #require(document["pointInTime"] as? [String: Any])
        let port = try #require(details["port"] as? Int)
        let socket = try #require(details["socketDirectory"] as? String)
        let connection = try PostgresConnection(ConnectionSettings(parameters: ["host": socket, "port": "\(port)", "user": "postgres", "dbname": server.database]), applicationName: "test")
        let notes = try connection.scalar("SELECT string_agg(note, ',' ORDER BY written) FROM pitr_marker")
        #expect(notes == "before the point", "\(notes ?? "nil")")
    }

    @Test("recovery pauses at the target: the copy is checked before it is promoted, a failing check leaves it unpromoted; the recovered server never inherits pra's secrets")
    func checkedBeforePromotion() throws {
        let server = try ArchivingCluster(label: "pause")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('kept')")
        try server.switchAndWait()
        usleep(1_100_000)
        let mark = ISO8601DateFormatter().string(from: Date())
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('after')")
        try server.switchAndWait()

        // A check that fails: no promotion, the server stopped, the directory removed.
        let target = server.targetDirectory("pause-fail")
        let failing = try server.pra(["restore", "--pitr", "--target-dir", target, "--target-time", mark], extra: ["CRITICAL_TABLES": "users,no_such_table"])
        #expect(failing.exitCode == 1, "\(failing.stdout) \(failing.stderr)")
        #expect(failing.stderr.contains("not promoted") && failing.stderr.contains("no_such_table"), "\(failing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target + "/postmaster.pid"))

        // Checks pass: promoted after the pause; secrets of pra's environment never reach the server.
        let secrets = ["AWS_SECRET_ACCESS_KEY": "pra-canary-aws", "SMTP_PASSWORD": "pra-canary-smtp", "SLACK_WEBHOOK": "https://hooks.example/pra-canary-slack", "DATABASE_URL_CANARY": "x"]
        let good = server.targetDirectory("pause-ok")
        let passing = try server.pra(["restore", "--pitr", "--target-dir", good, "--target-time", mark], extra: secrets)
        defer { server.stopRecovered(good) }
        #expect(passing.exitCode == 0, "\(passing.stdout) \(passing.stderr)")
        let log = (try? String(contentsOfFile: good + "/" + PointInTimeRestoreOperation.serverLogName, encoding: .utf8)) ?? ""
        #expect(log.contains("pausing at the end of recovery"), "\(log.suffix(2000))")
        #expect(log.contains("selected new timeline ID"), "\(log.suffix(2000))")
        let pidText = try String(contentsOfFile: good + "/postmaster.pid", encoding: .utf8)
        let pid = try #require(pidText.split(separator: "\n").first.map(String.init))
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
        let text = String(decoding: environ, as: UTF8.self)
        for value in secrets.values where value != "x" {
            #expect(!text.contains(value), "the recovered postmaster's environment holds \(value)")
        }
    }
}
