import Foundation
import Testing

@testable import PRACore

/// The pieces every operation shares, without a server: the run recorder, the candidate
/// selection both restores use, the typed check kinds and phases, and the verify report's
/// problems that decide `pra verify`'s exit code.
@Suite("operation shape: run recorder, candidate selection, typed contracts")
struct OperationShapeTests {
    /// An off-site source that lists what it is given, once, and counts how often it was asked.
    struct ScriptedOffSite: OffSiteCandidateSource {
        var candidates: [String]
        var notes: [String] = []
        var listings = 0

        mutating func list() -> (candidates: [String], notes: [String]) {
            listings += 1
            return (candidates, notes)
        }
    }

    @Test("run recorder: phases in first-start order, a phase entered again adds to its time, the first failure stands")
    func recorderPhases() throws {
        var recorder = RunRecorder()
        recorder.begin(.verify)
        usleep(20_000)
        recorder.begin(.load)
        usleep(10_000)
        recorder.begin(.verify)
        usleep(20_000)
        recorder.end()
        #expect(recorder.phases.map(\.phase) == [.verify, .load])
        let verify = try #require(recorder.phases.first)
        #expect(verify.seconds >= 0.04, "two stretches of 20 ms: \(verify.seconds)")
        #expect(recorder.elapsed() >= verify.seconds + recorder.phases[1].seconds)
        recorder.end()  // no current phase: nothing changes
        #expect(recorder.phases.count == 2)
        recorder.fail(stage: .load, message: "psql exited 3")
        recorder.fail(stage: .check, message: "a consequence")
        #expect(recorder.failure == RunRecorder.Failure(stage: .load, message: "psql exited 3"))
    }

    @Test("candidate selection: local first in order, the off-site list read once and only when the local ones ran out")
    func selectionOrder() {
        var selection = CandidateSelection<String, ScriptedOffSite>(local: ["local-new", "local-old"], offSite: ScriptedOffSite(candidates: ["remote-new", "remote-old"]))
        var order: [String] = []
        func name(_ candidate: CandidateSelection<String, ScriptedOffSite>.Candidate) -> String {
            switch candidate {
            case .local(let name): return name
            case .remote(let name): return name
            }
        }
        if let first = selection.next() { order.append(name(first)) }
        #expect(selection.source?.listings == 0, "the off-site list is not read while a local candidate is left")
        while let candidate = selection.next() { order.append(name(candidate)) }
        #expect(order == ["local-new", "local-old", "remote-new", "remote-old"])
        #expect(selection.source?.listings == 1)
        #expect(selection.handedOut == 4)
        let more = selection.hasMore()
        #expect(!more)
        #expect(selection.source?.listings == 1, "listed once, even when asked again")
    }

    @Test("candidate selection: listing problems become notes; no source means local only; listing on request comes after the local ones")
    func selectionNotes() {
        var failing = CandidateSelection<String, ScriptedOffSite>(local: [], offSite: ScriptedOffSite(candidates: [], notes: ["remote copies: connection refused"]))
        let none = failing.next()
        #expect(none == nil)
        #expect(failing.notes == ["remote copies: connection refused"])

        var localOnly = CandidateSelection<String, ScriptedOffSite>(local: ["a"], offSite: nil)
        let first = localOnly.next(), second = localOnly.next()
        #expect(first != nil)
        #expect(second == nil && localOnly.notes.isEmpty)

        var early = CandidateSelection<String, ScriptedOffSite>(local: ["local"], offSite: ScriptedOffSite(candidates: ["remote"]))
        early.listOffSite()
        #expect(early.source?.listings == 1)
        guard case .local("local") = early.next() else {
            Issue.record("the local candidate comes first even when the off-site list was read early")
            return
        }
        guard case .remote("remote") = early.next() else {
            Issue.record("then the off-site one")
            return
        }
    }

    @Test("typed contracts: check kinds and phases encode as the names --json has always carried")
    func typedNames() throws {
        #expect(RestoreResult.Check(.integrity, passed: true, message: "ok").name == "integrity")
        #expect(RestoreResult.Check(.criticalTables, passed: true, message: "ok").name == "critical tables")
        #expect(RestoreResult.Check(name: "archive caught up", passed: true, message: "").kind == .archiveCaughtUp)
        #expect(RestoreResult.Check(name: "something new", passed: true, message: "").kind == nil)
        #expect(StatusReport.Check(.baseBackupAge, level: .ok, message: "", value: 3).name == "base backup age")
        #expect(StatusReport.Check(.remoteCopyAge, level: .ok, message: "").name == "remote copy age")
        let report = StatusReport(checkedAt: Date(), checks: [.init(.database, level: .ok, message: "up", value: 0.002), .init(.remoteCopyAge, level: .warning, message: "old", value: 9)])
        #expect(report.check(.remoteCopyAge)?.value == 9)
        #expect(report.check(.baseBackupAge) == nil)
        let encoded = String(decoding: try JSONCoding.encoder.encode(report), as: UTF8.self)
        #expect(encoded.contains("\"name\" : \"remote copy age\""), "\(encoded)")
        #expect(OperationPhase.chooseBackup.rawValue == "choose backup" && OperationPhase.switchWAL.rawValue == "switch WAL")
        #expect(Set(OperationPhase.allCases.map(\.rawValue)).count == OperationPhase.allCases.count)
        #expect(Set(StatusCheckKind.allCases.map(\.rawValue)).count == StatusCheckKind.allCases.count)
        #expect(Set(RestoreCheckKind.allCases.map(\.rawValue)).count == RestoreCheckKind.allCases.count)
    }

    @Test("verify report: each invalid archive is one problem, valid ones none")
    func verifyProblems() {
        var bad = VerificationResult(archive: "/b/a.sql.gz")
        bad.problems = [.init(kind: .sizeMismatch, message: "size 10, manifest says 20")]
        let report = VerificationReport(archives: [bad])
        #expect(!report.valid)
        #expect(report.problems.count == 1 && report.problems[0].contains("a.sql.gz"), "\(report.problems)")
        #expect(VerificationReport(archives: []).problems.isEmpty)
    }
}
