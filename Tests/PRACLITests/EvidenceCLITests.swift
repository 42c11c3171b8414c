import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The evidence log through the `pra` binary: what status and restore append, what they say
/// when they cannot, concurrent processes, the off-site copy (directory and S3), and drills
/// kept out of it.
@Suite("evidence log through pra", .serialized)
struct EvidenceCLITests {
    static func lines(_ path: String) -> [Substring] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    @Test("pra status with nothing configured (exit 3) appends nothing")
    func nothingConfiguredAppendsNothing() throws {
        let directory = TestEnvironment.temporaryDirectory("ev-nothing")
        let environment = TestEnvironment.baseEnvironment(["PGCONNECT_TIMEOUT": "3", "BACKUP_DIR": directory, "REPORT_DIR": directory + "/reports"])
        let result = try PraBinary.run(["status"], environment: environment)
        #expect(result.exitCode == 3, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/reports/evidence.jsonl"))
    }

    @Test("pra status and pra restore: a sample and a record; an unwritable log is one warning line and evidenceError in --json, the exit code unchanged", .requires(.postgresServer))
    func statusAndRestoreThroughTheBinary() throws {
        let database = try TestEnvironment.fixtureDatabase("evcli", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evcli")
        var environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        #expect(try PraBinary.run(["backup", "--full"], environment: environment).exitCode == 0)
        let status = try PraBinary.run(["status"], environment: environment)
        #expect(status.exitCode == 0, "\(status.stdout)\(status.stderr)")
        #expect(!status.stderr.contains("evidence"), "\(status.stderr)")
        let restore = try PraBinary.run(["restore", "--latest", "--target-db", database + "_r"], environment: environment)
        #expect(restore.exitCode == 0, "\(restore.stderr)")
        let (records, skipped) = try EvidenceLog(path: directory + "/reports/evidence.jsonl").read()
        #expect(skipped.isEmpty)
        #expect(records.map(\.kind) == [.status, .restore])
        #expect(records.last?.restore?.succeeded == true && records.last?.restore?.target == database + "_r")

        environment["EVIDENCE_FILE"] = "/proc/pra-no-such-directory/evidence.jsonl"
        let failing = try PraBinary.run(["status", "--json"], environment: environment)
        #expect(failing.exitCode == 0, "the status is still OK: \(failing.stderr)")
        let warnings = failing.stderr.split(separator: "\n").filter { $0.contains("evidence log") }
        #expect(warnings.count == 1 && warnings[0].hasPrefix("pra: warning: cannot append to the evidence log /proc/pra-no-such-directory/evidence.jsonl"), "\(failing.stderr)")
        #expect(failing.stdout.contains("\"evidenceError\""), "\(failing.stdout)")
        let restoreFailing = try PraBinary.run(["restore", "--latest", "--target-db", database + "_r", "--force", "--json"], environment: environment)
        #expect(restoreFailing.exitCode == 0, "\(restoreFailing.stderr)")
        #expect(restoreFailing.stderr.contains("pra: warning: cannot append to the evidence log"), "\(restoreFailing.stderr)")
        let document = try JSONCoding.decoder.decode(RestoreResult.self, from: Data(restoreFailing.stdout.utf8))
        #expect(document.succeeded && document.evidenceError?.contains("/proc/pra-no-such-directory") == true)

        // pra evidence show: counts, and a damaged line named (never fatal).
        let handle = try #require(FileHandle(forWritingAtPath: directory + "/reports/evidence.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"kind\":\"rest\n".utf8))
        try handle.close()
        environment["EVIDENCE_FILE"] = nil
        let show = try PraBinary.run(["evidence", "show", "--env-file", TestEnvironment.noEnvFile], environment: environment)
        #expect(show.exitCode == 0, "\(show.stderr)")
        #expect(show.stdout.contains("1 restore record(s) (0 failed), 1 status sample(s) (0 unreachable)"), "\(show.stdout)")
        #expect(show.stderr.contains("line 3 skipped: not a complete record"), "\(show.stderr)")
        let none = try PraBinary.run(["evidence", "show", directory + "/nothing.jsonl", "--env-file", TestEnvironment.noEnvFile], environment: environment)
        #expect(none.exitCode == 1 && none.stderr.contains("no evidence log at \(directory)/nothing.jsonl yet"), "\(none.stderr)")
    }

    @Test("12 pra status processes at once against the scratch cluster, while this process keeps rewriting the log (an old sample appended, then compacted, again and again): every line parses, nothing lost", .requires(.postgresServer))
    func concurrentStatusProcesses() throws {
        let database = try TestEnvironment.fixtureDatabase("evprocs", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evprocs")
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        let log = EvidenceLog(path: directory + "/reports/evidence.jsonl")
        let old = Date().addingTimeInterval(-60 * 86400)
        let group = DispatchGroup()
        let codes = Codes()
        for _ in 0..<12 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                codes.add((try? PraBinary.run(["status", "-q"], environment: environment))?.exitCode ?? -1)
            }
        }
        var rewrites = 0
        var appended = 0
        while group.wait(timeout: .now()) == .timedOut {
            try log.append(EvidenceRecord(at: old.addingTimeInterval(Double(appended) * 300), host: "other", database: database, status: StatusSample(
                reachable: true, level: .ok, backupAgeSeconds: 1, walAgeSeconds: nil, offSiteAgeSeconds: nil, archiverFailing: nil, databaseSizeBytes: nil)))
            appended += 1
            if try log.compact(before: Date().addingTimeInterval(-30 * 86400)) != nil { rewrites += 1 }
        }
        #expect(codes.all.count == 12 && codes.all.allSatisfy { $0 == 1 }, "CRITICAL (no backup), each one: \(codes.all)")
        // The status processes compact too (the old samples are over EVIDENCE_SAMPLE_RETENTION + 1 day).
        #expect(rewrites > 3, "\(rewrites) rewrites of \(appended)")
        let (records, skipped) = try log.read()
        #expect(skipped.isEmpty, "\(skipped)")
        let mine = records.filter { $0.host != "other" }
        #expect(mine.count == 12 && mine.allSatisfy { $0.status?.reachable == true })
        #expect(records.filter { $0.host == "other" }.compactMap(\.summary).map(\.samples).reduce(0, +) == appended)
        var lines = 0
        try JSONLinesFile(path: log.path).forEachLine { _, _ in lines += 1 }
        #expect(lines == records.count)
    }

    @Test("pra evidence push to a directory target: read back, replaces the previous copy; pull fetches every plain .jsonl name, refuses the rest", .requires(.postgresServer))
    func pushAndPullDirectory() throws {
        let database = try TestEnvironment.fixtureDatabase("evpush", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evpush")
        let remote = directory + "/offsite"
        try FileManager.default.createDirectory(atPath: remote, withIntermediateDirectories: true)
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0", "REMOTE_TARGET": remote])
        let name = EvidenceCopy.remoteName(host: EvidenceWriter.hostName(), database: database)
        let missing = try PraBinary.run(["evidence", "push", "--env-file", TestEnvironment.noEnvFile], environment: environment)
        #expect(missing.exitCode == 1 && missing.stderr.contains("no evidence log at"), "\(missing.stderr)")

        _ = try PraBinary.run(["status"], environment: environment)
        let push = try PraBinary.run(["evidence", "push", "--env-file", TestEnvironment.noEnvFile], environment: environment)
        #expect(push.exitCode == 0, "\(push.stderr)")
        #expect(push.stdout.contains("evidence log copied to \(remote)/evidence/\(name)") && push.stdout.contains("read back and matched"), "\(push.stdout)")
        let local = directory + "/reports/evidence.jsonl"
        #expect(try FileDigest(path: remote + "/evidence/" + name) == FileDigest(path: local))
        _ = try PraBinary.run(["status"], environment: environment)
        #expect(try PraBinary.run(["evidence", "push", "-q", "--env-file", TestEnvironment.noEnvFile], environment: environment).exitCode == 0)
        #expect(Self.lines(remote + "/evidence/" + name).count == 2, "the second push replaced the first copy")
        #expect(try FileManager.default.contentsOfDirectory(atPath: remote + "/evidence").sorted() == [name], "no temporary file left")

        // Another host's log, a name that is not plain, and a file that is not evidence.
        try Data(try JSONCoding.compactEncoder.encode(EvidenceRecord(at: Date(), host: "db2", database: "shop", status: StatusSample(reachable: false, level: .critical, backupAgeSeconds: nil, walAgeSeconds: nil, offSiteAgeSeconds: nil, archiverFailing: nil, databaseSizeBytes: nil))) + Data("\n".utf8))
            .write(to: URL(fileURLWithPath: remote + "/evidence/db2-shop.jsonl"))
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: remote + "/evidence/bad name.jsonl"))
        try Data("<html>not evidence</html>\n".utf8).write(to: URL(fileURLWithPath: remote + "/evidence/junk.jsonl"))
        let fleet = directory + "/fleet"
        let pull = try PraBinary.run(["evidence", "pull", fleet, "--env-file", TestEnvironment.noEnvFile], environment: environment)
        #expect(pull.exitCode == 1, "two refused: \(pull.stdout)\(pull.stderr)")
        #expect(pull.stderr.contains("bad name.jsonl: not a plain .jsonl name") && pull.stderr.contains("junk.jsonl: no line of it is an evidence record"), "\(pull.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fleet).sorted() == ["db2-shop.jsonl", name].sorted(), "refused files never written, no temporary left")
        #expect(try FileDigest(path: fleet + "/" + name) == FileDigest(path: local))
        #expect(try EvidenceLog(path: fleet + "/db2-shop.jsonl").read().records.first?.database == "shop")

        let unset = try PraBinary.run(["evidence", "pull", fleet, "--env-file", TestEnvironment.noEnvFile], environment: environment.filter { $0.key != "REMOTE_TARGET" })
        #expect(unset.exitCode == 2 && unset.stderr.contains("REMOTE_TARGET is not set"), "\(unset.stderr)")
    }

    @Test("pra evidence push and pull through a real S3 store (SeaweedFS): the object under prefix/evidence/, fetched identical", .requires(.postgresServer, .seaweedfs))
    func pushAndPullS3() throws {
        let server = try LoopbackS3Server.start()
        let bucket = try server.makeBucket("evidence")
        let database = try TestEnvironment.fixtureDatabase("evs3", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evs3")
        let environment = TestEnvironment.environment(database: database, backupDirectory: directory, extra: server.environment(bucket: bucket).merging(["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"]) { $1 })
        _ = try PraBinary.run(["status"], environment: environment)
        let name = EvidenceCopy.remoteName(host: EvidenceWriter.hostName(), database: database)
        let push = try PraBinary.run(["evidence", "push", "--json", "--env-file", TestEnvironment.noEnvFile], environment: environment)
        #expect(push.exitCode == 0, "\(push.stderr)")
        #expect(try server.keys(bucket: bucket) == ["pra/evidence/\(name)"])
        let pushed = try JSONCoding.decoder.decode(EvidenceCopy.Pushed.self, from: Data(push.stdout.utf8))
        #expect(pushed.target == "s3://\(bucket)/pra/evidence" && pushed.name == name)
        let fleet = directory + "/fleet"
        let pull = try PraBinary.run(["evidence", "pull", fleet, "--env-file", TestEnvironment.noEnvFile], environment: environment)
        #expect(pull.exitCode == 0, "\(pull.stdout)\(pull.stderr)")
        #expect(pull.stdout.contains("\(fleet)/\(name): 1 record(s)"), "\(pull.stdout)")
        #expect(try FileDigest(path: fleet + "/" + name) == FileDigest(path: directory + "/reports/evidence.jsonl"))
    }

    @Test("a drill's restores and status runs go to the scenario's own evidence log, never to the operator's EVIDENCE_FILE; a scenario cannot set EVIDENCE_FILE", .requires(.postgresServer))
    func drillsStayOutOfProductionEvidence() throws {
        let directory = TestEnvironment.temporaryDirectory("evdrill")
        let production = directory + "/production-evidence.jsonl"
        let scenario = directory + "/ev-drill.yaml"
        try """
            name: ev-drill
            description: A backup, a restore and a status, as a drill runs them.
            steps:
              - backup: {}
              - restore: {target_db: ev_copy}
                expect: {outcome: success}
              - status: {}
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        var environment = TestEnvironment.baseEnvironment(["EVIDENCE_FILE": production, "REPORT_DIR": directory + "/reports"])
        environment["PRA_FIXTURES_DIR"] = TestEnvironment.packageRoot + "/fixtures"
        let run = try PraBinary.run(["drill", "run", scenario, "--scale", "0.01", "--keep", "--env-file", TestEnvironment.noEnvFile], environment: environment, timeout: 600)
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: production), "the drill wrote to the operator's evidence log")
        let output = run.stdout + run.stderr
        let kept = try #require(output.split(separator: "\n").compactMap { line in line.range(of: "kept ").map { String(line[$0.upperBound...]).trimmingCharacters(in: .whitespaces) } }.first, "\(output)")
        defer { try? FileManager.default.removeItem(atPath: kept) }
        let (records, _) = try EvidenceLog(path: kept + "/reports/evidence.jsonl").read()
        #expect(records.contains { $0.kind == .restore && $0.restore?.target == "ev_copy" }, "\(records)")
        #expect(records.contains { $0.kind == .status })

        try """
            name: ev-refused
            env: {EVIDENCE_FILE: /var/lib/pra/reports/evidence.jsonl}
            steps:
              - backup: {}
            """.write(toFile: directory + "/ev-refused.yaml", atomically: true, encoding: .utf8)
        let validate = try PraBinary.run(["drill", "validate", directory + "/ev-refused.yaml"], environment: TestEnvironment.baseEnvironment())
        #expect(validate.exitCode == 2, "\(validate.stdout)\(validate.stderr)")
        #expect((validate.stdout + validate.stderr).contains("EVIDENCE_FILE cannot be set by a scenario"), "\(validate.stdout)\(validate.stderr)")
    }

    @Test("help: status and restore say what they append to the evidence log; pra evidence and its subcommands teach")
    func helpTexts() throws {
        let environment = TestEnvironment.baseEnvironment()
        for command in [["status"], ["restore"]] {
            let help = try PraBinary.run(command + ["--help"], environment: environment).stdout.replacingOccurrences(of: "\n", with: " ")
            #expect(help.contains("EVIDENCE_FILE") && help.contains("evidence log"), "\(command)")
        }
        let evidence = try PraBinary.run(["evidence", "--help"], environment: environment)
        #expect(evidence.exitCode == 0)
        for words in ["EVIDENCE_SAMPLE_RETENTION", "REMOTE_TARGET/evidence/<host>-<database>.jsonl", "pra evidence pull", "never this one"] {
            #expect(evidence.stdout.replacingOccurrences(of: "\n", with: " ").contains(words), "lacks \(words)")
        }
        for sub in ["show", "push", "pull"] {
            #expect(try PraBinary.run(["evidence", sub, "--help"], environment: environment).exitCode == 0)
        }
    }
}

/// Exit codes collected from threads.
private final class Codes: @unchecked Sendable {
    private let lock = NSLock()
    private var codes: [Int32] = []

    func add(_ code: Int32) {
        lock.lock()
        codes.append(code)
        lock.unlock()
    }

    var all: [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return codes
    }
}
