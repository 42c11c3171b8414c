import Foundation

/// The fleet view: one row per production database of the evidence, with its verdict (the
/// drills' findings, which hold for every database the plan covers, plus its own evidence) and
/// its headline figures, linking to its section. One database gets a one-row table too.
public struct FleetRow: Sendable, Encodable {
    public var host: String
    public var database: String
    public var label: String
    /// The id of the database's section (`#evidence-…`).
    public var anchor: String
    public var verdict: ComplianceReport.Headline
    /// The RPO exposure in words: `2h00m00s over the 1h00m00s target in 1 window (worst 2h55m00s)`.
    public var rpoExposure: String
    public var worstRecoverableAgeSeconds: Double?
    public var secondsOverRPOTarget: Double?
    public var shareOfSamplesWithinRPOTarget: Double?
    /// `2026-11-27 03:00 UTC, 12.0s ✓` or `none in the last 7 days`.
    public var lastRestoreTest: String
    public var lastRestoreTestAt: Date?
    public var lastRestoreTestSeconds: Double?
    public var lastRestoreTestSucceeded: Bool?
    /// `99.907% (40m00s down)`.
    public var availability: String
    public var availabilityPercent: Double?
    public var downSeconds: Double?
    public var unknownSeconds: Double?

    init(_ evidence: DatabaseEvidence, drillVerdict: ComplianceReport.Headline) {
        host = evidence.host
        database = evidence.database
        label = evidence.label
        anchor = evidence.anchor
        verdict = Self.worse(drillVerdict, evidence.evidenceVerdict)
        if let exposure = evidence.rpoExposure {
            worstRecoverableAgeSeconds = exposure.worstAgeSeconds
            secondsOverRPOTarget = exposure.secondsOverTarget
            shareOfSamplesWithinRPOTarget = exposure.shareWithinTarget
            let worst = exposure.worstAgeSeconds.map { "worst \(ComplianceFormat.duration($0))" } ?? "no recoverable point known"
            rpoExposure = exposure.windows.isEmpty
                ? "✓ within \(ComplianceFormat.duration(exposure.targetSeconds)) all period (\(worst))"
                : "✗ \(ComplianceFormat.duration(exposure.secondsOverTarget)) over the \(ComplianceFormat.duration(exposure.targetSeconds)) target in \(ComplianceFormat.count(exposure.windows.count, "window")) (\(worst))"
        } else {
            rpoExposure = "not measured (no status sample)"
        }
        let tests = evidence.restoreTests
        if let last = tests.last {
            lastRestoreTestAt = last.at
            lastRestoreTestSeconds = last.seconds
            lastRestoreTestSucceeded = last.succeeded
            let outcome = !last.succeeded ? "✗ failed" : (last.withinRTOTarget ? "\(ComplianceFormat.duration(last.seconds)) ✓" : "\(ComplianceFormat.duration(last.seconds)) ✗ over the RTO target")
            lastRestoreTest = "\(ComplianceFormat.dateTime(last.at)), \(outcome)" + (tests.lastWithinWindow ? "" : " — older than \(Int((tests.maximumAgeSeconds / 86400).rounded())) days")
        } else {
            lastRestoreTest = "⚠ none in the period"
        }
        if let availability = evidence.availability {
            availabilityPercent = availability.availabilityPercent
            downSeconds = availability.downSeconds
            unknownSeconds = availability.unknownSeconds
            let mark = availability.status == .met ? "✓" : (availability.status == .missed ? "✗" : "⚠")
            var text = "\(mark) \(Availability.percent(availability.availabilityPercent)) (\(ComplianceFormat.duration(availability.downSeconds)) down"
            if availability.unknownSeconds >= 1 { text += ", \(ComplianceFormat.duration(availability.unknownSeconds)) unknown" }
            self.availability = text + ")"
        } else {
            availability = "not measured (no status sample)"
        }
    }

    static func worse(_ a: ComplianceReport.Headline, _ b: ComplianceReport.Headline) -> ComplianceReport.Headline {
        if a == .notCompliant || b == .notCompliant { return .notCompliant }
        if a == .atRisk || b == .atRisk { return .atRisk }
        return .compliant
    }
}
