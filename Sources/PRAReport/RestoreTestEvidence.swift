import Foundation
import PRACore

/// The real restores of one production database in the report period (the plan's weekly
/// `pra restore --latest` into a scratch database, and any recovery): the last one against
/// `RTO_TARGET`, the trend, and whether one ran within the weekly window.
public struct RestoreTestEvidence: Sendable, Encodable {
    /// One real restore, as the evidence log recorded it.
    public struct Test: Sendable, Equatable, Encodable {
        public var at: Date
        public var method: String
        public var source: String
        public var target: String
        public var backup: String?
        public var sizeBytes: Int64?
        /// The measured RTO.
        public var seconds: Double
        public var phases: [RestoreEvidence.Phase]
        public var recoveryPointAgeSeconds: Double?
        public var succeeded: Bool
        public var failure: String?
        public var withinRTOTarget: Bool
    }

    /// Oldest first.
    public var tests: [Test]
    public var rtoTargetSeconds: Double
    /// The weekly window (7 days).
    public var maximumAgeSeconds: Double
    /// The newest test.
    public var last: Test?
    /// The newest test is at most ``maximumAgeSeconds`` old at the report's time.
    public var lastWithinWindow: Bool
    /// How the measured RTO moved across the tests, in one sentence (`nil` with fewer than two).
    public var trend: String?

    init(records: [(Date, RestoreEvidence)], rtoTargetSeconds: Double, maximumAgeSeconds: Double, now: Date) {
        tests = records.sorted { $0.0 < $1.0 }.map { at, restore in
            Test(at: at, method: restore.method.rawValue, source: restore.source.rawValue, target: restore.target, backup: restore.backup, sizeBytes: restore.sizeBytes,
                 seconds: restore.seconds, phases: restore.phases, recoveryPointAgeSeconds: restore.recoveryPointAgeSeconds, succeeded: restore.succeeded,
                 failure: restore.failure, withinRTOTarget: restore.seconds <= rtoTargetSeconds)
        }
        self.rtoTargetSeconds = rtoTargetSeconds
        self.maximumAgeSeconds = maximumAgeSeconds
        last = tests.last
        lastWithinWindow = last.map { now.timeIntervalSince($0.at) <= maximumAgeSeconds } ?? false
        let succeeded = tests.filter(\.succeeded)
        if succeeded.count >= 2, let first = succeeded.first, let newest = succeeded.last {
            let change = first.seconds > 0 ? (newest.seconds / first.seconds - 1) : 0
            let word = abs(change) <= 0.1 ? "about the same" : (change > 0 ? "slower" : "faster")
            trend = "Measured RTO of the \(succeeded.count) successful restore tests: \(ComplianceFormat.duration(first.seconds)) on \(ComplianceFormat.day(first.at)) to \(ComplianceFormat.duration(newest.seconds)) on \(ComplianceFormat.day(newest.at)) (\(word)\(abs(change) > 0.1 ? ", \(change > 0 ? "+" : "−")\(ComplianceFormat.percent(abs(change)))" : ""))."
        }
    }

    /// The last test in one sentence.
    public var lastSentence: String {
        guard let last else { return "No real restore test recorded in the period." }
        var text = "Last restore test: \(ComplianceFormat.dateTime(last.at)), \(last.method) from the \(last.source) backup"
        if let backup = last.backup { text += " \(backup)" }
        if let size = last.sizeBytes { text += ", \(ComplianceFormat.bytes(Double(size)))" }
        if last.succeeded {
            text += ": RTO \(ComplianceFormat.duration(last.seconds)) against the \(ComplianceFormat.duration(rtoTargetSeconds)) target, \(last.withinRTOTarget ? "within it" : "over it by \(ComplianceFormat.duration(last.seconds - rtoTargetSeconds))")"
        } else {
            text += ": FAILED after \(ComplianceFormat.duration(last.seconds))" + (last.failure.map { " (\($0))" } ?? "")
        }
        if let age = last.recoveryPointAgeSeconds { text += "; the backup was \(ComplianceFormat.duration(age)) old" }
        return text + "."
    }

    /// "1m12s (restore 50s, check 22s)".
    static func phasesText(_ test: Test) -> String {
        guard !test.phases.isEmpty else { return "–" }
        return test.phases.map { "\($0.name) \(ComplianceFormat.duration($0.seconds))" }.joined(separator: ", ")
    }
}
