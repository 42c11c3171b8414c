import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The evidence log's writers on a real PostgreSQL: every restore and status run appends its
/// record, a failure to append never changes a verdict, concurrent writers and a compaction
/// racing them leave a file in which every line parses.
@Suite("EvidenceWriter: restores and status runs append their evidence", .requires(.postgresServer))
struct EvidenceWriterTests {
    static func read(_ path: String) throws -> [EvidenceRecord] {
        let (records, skipped) = try EvidenceLog(path: path).read()
        #expect(skipped.isEmpty, "\(skipped)")
        return records
    }

    @Test("status: a sample from the figures it measured (reachable, ages, size), and one when the database is down; EVIDENCE_FILE=none writes nothing")
    func statusSamples() throws {
        let database = try TestEnvironment.fixtureDatabase("evstatus", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evstatus")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        _ = try BackupOperation(configuration: configuration).run()
        let report = try StatusOperation(configuration: configuration).run()
        #expect(report.evidenceError == nil)
        let path = directory + "/reports/evidence.jsonl"
        let records = try Self.read(path)
        #expect(records.count == 1)
        let record = try #require(records.first)
        let sample = try #require(record.status)
        #expect(record.kind == .status && record.database == database && record.host == EvidenceWriter.hostName())
        #expect(abs(record.at.timeIntervalSince(report.checkedAt)) < 0.001)
        #expect(sample.reachable && sample.level == report.level)
        #expect(sample.databaseSizeBytes == report.measurements[.databaseSizeBytes].map { Int64($0) } && (sample.databaseSizeBytes ?? 0) > 1_000_000)
        #expect(sample.backupAgeSeconds == report.measurements[.backupAgeSeconds] && (sample.backupAgeSeconds ?? -1) >= 0)
        #expect(sample.walAgeSeconds == nil && sample.archiverFailing == nil, "no WAL archive here")

        // The server unreachable (nothing listens on that port): the sample says so.
        var down = configuration
        down.set("PGHOST", "127.0.0.1")
        down.set("PGPORT", "\(LoopbackSocket.freePort() ?? 1)")
        down.set("PGCONNECT_TIMEOUT", "2")
        let unreachable = try StatusOperation(configuration: down).run()
        #expect(unreachable.level == .critical)
        let after = try Self.read(path)
        #expect(after.count == 2)
        #expect(after.last?.status?.reachable == false && after.last?.status?.level == .critical && after.last?.status?.databaseSizeBytes == nil)

        var off = configuration
        off.set("EVIDENCE_FILE", "none")
        let quiet = try StatusOperation(configuration: off).run()
        #expect(quiet.evidenceError == nil)
        #expect(try Self.read(path).count == 2)
    }

    @Test("status: an evidence log that cannot be written is reported (evidenceError, in --json) and the level is unchanged")
    func statusEvidenceFailure() throws {
        let database = try TestEnvironment.fixtureDatabase("evstatusfail", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evstatusfail")
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: directory + "/blocker"))
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0", "EVIDENCE_FILE": directory + "/blocker/evidence.jsonl"])
        _ = try BackupOperation(configuration: configuration).run()
        let report = try StatusOperation(configuration: configuration).run()
        #expect(report.level == .ok, "\(report.text)")
        #expect(report.evidenceError?.contains(directory + "/blocker") == true, "\(report.evidenceError ?? "nil")")
        #expect(JSONCoding.document(report).contains("\"evidenceError\""))
        var written = configuration
        written.set("EVIDENCE_FILE", directory + "/evidence.jsonl")
        #expect(!JSONCoding.document(try StatusOperation(configuration: written).run()).contains("evidenceError"), "the --json document is unchanged when the sample was written")
    }

    @Test("restore: one record per restore, success or failure: database, backup, recovery point and its age, size (pg_database_size), RTO and phases, checks")
    func restoreRecords() throws {
        let database = try TestEnvironment.fixtureDatabase("evrestore", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evrestore")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory)
        let backup = try BackupOperation(configuration: configuration).run()
        let target = database + "_r"
        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: target)
        #expect(result.succeeded, "\(result.summary)")
        #expect(result.evidenceError == nil && result.evidenceFile == directory + "/reports/evidence.jsonl")
        let records = try Self.read(directory + "/reports/evidence.jsonl")
        #expect(records.count == 1)
        let record = try #require(records.first)
        let evidence = try #require(record.restore)
        #expect(record.kind == .restore && record.database == database && abs(record.at.timeIntervalSince(result.startedAt)) < 0.001)
        #expect(evidence.method == .logical && evidence.source == .local && evidence.target == target)
        #expect(evidence.backup == (backup.archive as NSString).lastPathComponent)
        let manifest = try BackupManifest.load(path: backup.manifest)
        #expect(abs((evidence.recoveryPoint ?? .distantPast).timeIntervalSince(manifest.finishedAt)) < 0.001)
        #expect(abs((evidence.recoveryPointAgeSeconds ?? -1) - result.startedAt.timeIntervalSince(manifest.finishedAt)) < 0.01)
        let size = try TestEnvironment.psql("SELECT pg_database_size('\(target)')", database: database)
        #expect(evidence.sizeBytes == Int64(size))
        #expect(abs(evidence.seconds - result.seconds) < 1e-9 && evidence.seconds > 0)
        #expect(evidence.phases.map(\.name) == result.phases.map(\.name) && evidence.phases.map(\.name).contains("load"))
        #expect(evidence.checks.count == result.checks.count && evidence.checks.allSatisfy(\.passed))
        #expect(evidence.succeeded && evidence.failure == nil)

        // A restore that fails: recorded too, with why.
        let damaged = directory + "/damaged.sql.gz"
        try Data(repeating: 0x1f, count: 4096).write(to: URL(fileURLWithPath: damaged))
        let failed = try RestoreOperation(configuration: configuration).run(source: .file(damaged), targetDatabase: database + "_f")
        #expect(!failed.succeeded)
        let both = try Self.read(directory + "/reports/evidence.jsonl")
        #expect(both.count == 2)
        let failure = try #require(both.last?.restore)
        #expect(!failure.succeeded && failure.failure?.contains("verify") == true && failure.sizeBytes == nil && failure.recoveryPoint == nil, "\(failure)")
        #expect(failure.target == database + "_f")
    }

    @Test("restore: an evidence log that cannot be written never changes the verdict; the result (and --json) says why")
    func restoreEvidenceFailure() throws {
        let database = try TestEnvironment.fixtureDatabase("evrestorefail", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evrestorefail")
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/blocker"))
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["EVIDENCE_FILE": directory + "/blocker/evidence.jsonl"])
        _ = try BackupOperation(configuration: configuration).run()
        let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: database + "_r")
        #expect(result.succeeded, "\(result.summary)")
        #expect(result.evidenceFile == nil)
        #expect(result.evidenceError?.contains("cannot append to the evidence log \(directory)/blocker/evidence.jsonl") == true, "\(result.evidenceError ?? "nil")")
        #expect(JSONCoding.document(result).contains("\"evidenceError\""))
    }

    @Test("a line cut short by a crash: the next status run still appends a readable line; the damaged one is skipped and named")
    func recoversAfterTruncatedLine() throws {
        let database = try TestEnvironment.fixtureDatabase("evtrunc", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evtrunc")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0"])
        _ = try StatusOperation(configuration: configuration).run()
        let path = directory + "/reports/evidence.jsonl"
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"at\":\"2026-12-07T00:00:00.000Z\",\"database\":\"x\",\"kind\":\"sta".utf8))
        try handle.close()
        let report = try StatusOperation(configuration: configuration).run()
        #expect(report.evidenceError == nil)
        let (records, skipped) = try EvidenceLog(path: path).read()
        #expect(records.count == 2 && records.allSatisfy { $0.kind == .status })
        #expect(skipped.map(\.number) == [2] && skipped.first?.reason.contains("truncated") == true, "\(skipped)")
    }

    @Test("status compacts: with samples older than EVIDENCE_SAMPLE_RETENTION + 1 day, a run (with its synthetic time) rewrites them as hourly summaries; restore records stay")
    func statusCompacts() throws {
        let database = try TestEnvironment.fixtureDatabase("evcompact", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evcompact")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0", "EVIDENCE_SAMPLE_RETENTION": "10d"])
        let path = directory + "/reports/evidence.jsonl"
        let log = EvidenceLog(path: path)
        let now = Date()
        let host = EvidenceWriter.hostName()
        // 12 days of 5-minute samples, a restore among them.
        var t = now.addingTimeInterval(-12 * 86400)
        var count = 0
        while t < now.addingTimeInterval(-600) {
            try log.append(EvidenceRecord(at: t, host: host, database: database, status: StatusSample(reachable: true, level: .ok, backupAgeSeconds: 60, walAgeSeconds: nil, offSiteAgeSeconds: nil, archiverFailing: nil, databaseSizeBytes: 7)))
            if count == 100 {
                try log.append(EvidenceRecord(at: t, host: host, database: database, restore: RestoreEvidence(method: .logical, source: .local, target: "t", backup: "b", recoveryPoint: nil, recoveryPointAgeSeconds: nil, sizeBytes: 1, seconds: 2, phases: [], checks: [], succeeded: true, failure: nil)))
            }
            count += 1
            t = t.addingTimeInterval(300)
        }
        // 11 days back is not yet over 10 d + 1 d: no rewrite.
        let early = try StatusOperation(configuration: configuration).run(now: now.addingTimeInterval(-12 * 86400 + 11 * 86400 - 3600))
        #expect(early.evidenceError == nil)
        #expect(try EvidenceLog(path: path).read().records.filter { $0.kind == .statusSummary }.isEmpty)
        let report = try StatusOperation(configuration: configuration).run(now: now)
        #expect(report.evidenceError == nil, "\(report.evidenceError ?? "")")
        let records = try Self.read(path)
        let summaries = records.compactMap(\.summary)
        let raw = records.filter { $0.kind == .status }
        #expect(records.filter { $0.kind == .restore }.count == 1)
        #expect(summaries.count >= 47 && summaries.count <= 49, "two days of hours: \(summaries.count)")
        #expect(summaries.map(\.samples).reduce(0, +) + raw.count == count + 2, "every sample counted once")
        #expect(raw.allSatisfy { $0.at >= now.addingTimeInterval(-10 * 86400 - 3600) })
        #expect(!FileManager.default.fileExists(atPath: directory + "/reports/.evidence.jsonl.partial"), "no temporary file left")
        // Compacted: the next run within the day does not rewrite again.
        let before = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count
        _ = try StatusOperation(configuration: configuration).run(now: now.addingTimeInterval(60))
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == before + 1)
    }

    @Test("concurrency: 100 status runs (the real operation, synthetic times over 50 days, so they compact), 100 restore records and 4 real restores on 10 threads, a compaction racing them: every line parses, nothing lost or counted twice")
    func concurrentWriters() throws {
        let database = try TestEnvironment.fixtureDatabase("evconc", scale: 0.01)
        let directory = TestEnvironment.temporaryDirectory("evconc")
        let configuration = try TestEnvironment.configuration(database: database, backupDirectory: directory, extra: ["DISK_WARN_PERCENT": "0", "DISK_CRITICAL_PERCENT": "0", "EVIDENCE_SAMPLE_RETENTION": "5d"])
        let path = directory + "/reports/evidence.jsonl"
        let writer = EvidenceWriter(configuration: configuration)
        _ = try BackupOperation(configuration: configuration).run()
        let start = Date().addingTimeInterval(-50 * 86400)
        let shared = Shared()
        let writers = DispatchGroup()
        for _ in 0..<10 {
            writers.enter()
            Thread.detachNewThread {
                defer { writers.leave() }
                while let index = shared.claim(below: 204) {
                    let at = start.addingTimeInterval(Double(index / 2) * 43_000)
                    let problem: String?
                    if index >= 200 {
                        // A few real restores in the mix: the whole operation, its record at its end.
                        do {
                            let result = try RestoreOperation(configuration: configuration).run(source: .latest, targetDatabase: "\(database)_c\(index)")
                            problem = result.succeeded ? result.evidenceError : result.summary
                        } catch {
                            problem = "\(error)"
                        }
                    } else if index % 2 == 0 {
                        do {
                            problem = try StatusOperation(configuration: configuration).run(now: at).evidenceError
                        } catch {
                            problem = "\(error)"
                        }
                    } else {
                        var result = RestoreResult(targetDatabase: "r\(index)", startedAt: at)
                        result.seconds = Double(index)
                        result.checks = [.init(name: "tables", passed: true, message: "ok")]
                        problem = writer.record(restore: result, method: .logical, database: database, target: "r\(index)", backup: "b\(index)", recoveryPoint: at.addingTimeInterval(-60), sizeBytes: Int64(index)).error
                    }
                    if let problem { shared.problem(problem) }
                }
            }
        }
        let compactor = DispatchGroup()
        compactor.enter()
        Thread.detachNewThread {
            defer { compactor.leave() }
            while !shared.stopped {
                do {
                    if try EvidenceLog(path: path).compact(before: start.addingTimeInterval(20 * 86400)) != nil { shared.compacted() }
                } catch {
                    shared.problem("compaction: \(error)")
                }
                usleep(2000)
            }
        }
        writers.wait()
        shared.stop()
        compactor.wait()
        #expect(shared.problems.isEmpty, "\(shared.problems.prefix(3))")
        var lines = 0
        try JSONLinesFile(path: path).forEachLine { _, _ in lines += 1 }
        let (records, skipped) = try EvidenceLog(path: path).read()
        #expect(skipped.isEmpty, "every line parses: \(skipped.prefix(3))")
        #expect(records.count == lines)
        let restores = records.compactMap(\.restore)
        #expect(restores.count == 104)
        #expect(Set(restores.map(\.target)).count == 104)
        #expect(restores.filter { $0.target.hasPrefix(database + "_c") }.allSatisfy { $0.succeeded && ($0.sizeBytes ?? 0) > 0 })
        let samples = records.filter { $0.kind == .status }.count + records.compactMap(\.summary).map(\.samples).reduce(0, +)
        #expect(samples == 100, "status samples, raw or summarised: \(samples)")
        #expect(records.contains { $0.kind == .statusSummary }, "compactions ran (\(shared.compactions) by the racing thread)")
    }
}

/// State the concurrency test's threads share, behind a lock.
private final class Shared: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var done = false
    private var found: [String] = []
    private var count = 0

    func claim(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }

    func problem(_ text: String) {
        lock.lock()
        found.append(text)
        lock.unlock()
    }

    func compacted() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    func stop() {
        lock.lock()
        done = true
        lock.unlock()
    }

    var stopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return done
    }

    var problems: [String] {
        lock.lock()
        defer { lock.unlock() }
        return found
    }

    var compactions: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
