import Foundation
import Testing

@testable import PRACore

/// `--target-time` as PostgreSQL and operators print timestamps (issue 20, item 8): no server.
@Suite("RecoveryTarget: --target-time parsing and the UTC echo")
struct RecoveryTargetTests {
    /// 2026-12-06 18:00:55 UTC.
    static let base = 1_796_580_055.0

    /// Each text with its fraction of a second past ``base`` (or whole seconds before it).
    static let forms: [(text: String, offset: Double)] = [
        ("2026-12-06 18:00:55.702249+00", 0.702249),
        ("2026-12-06 18:00:55.702249 UTC", 0.702249),
        ("2026-12-06 18:00:55.702249UTC", 0.702249),
        ("2026-12-06 18:00:55 GMT", 0),
        ("2026-12-06 19:00:55.5+01", 0.5),
        ("2026-12-06 19:00:55.5+01:00", 0.5),
        ("2026-12-06 19:30:55+0130", 0),
        ("2026-12-06 13:00:55.702249-05", 0.702249),
        ("2026-12-06T18:00:55Z", 0),
        ("2026-12-06T18:00:55.702Z", 0.702),
        ("2026-12-06T19:00:55.702249+01:00", 0.702249),
        ("2026-12-06t18:00:55z", 0),
        ("2026-12-06 18:00Z", -55),
    ]

    @Test("what select now(), the server log and recovery_target_time print is accepted, to the microsecond", arguments: 0..<forms.count)
    func postgresForms(_ index: Int) throws {
        let (text, offset) = Self.forms[index]
        let seconds = Self.base + offset
        let parsed = try #require(RecoveryTarget.parseTime(text), "\(text) refused")
        #expect(abs(parsed.timeIntervalSince1970 - seconds) < 0.000_001, "\(text) → \(parsed.timeIntervalSince1970)")
    }

    @Test("no zone: the machine's time zone, as before")
    func localTime() throws {
        let zone = try #require(TimeZone(identifier: "Europe/Paris"))
        #expect(TimestampText.parse("2026-12-06 19:00:55.25", localZone: zone)?.timeIntervalSince1970 == Self.base + 0.25)
        #expect(TimestampText.parse("2026-12-06T19:00:55", localZone: zone)?.timeIntervalSince1970 == Self.base)
    }

    @Test("anything else is refused", arguments: [
        "yesterday", "", "2026-12-06", "2026-13-06 18:00:55+00", "2026-02-30 18:00:55+00", "2026-12-06 24:00:00+00",
        "2026-12-06 18:00:55+00 trailing", "2026-12-06 18:00:55.+00", "2026-12-06 18:00:55 CEST", "2026-12-06 18:00:55+1",
    ])
    func refused(_ text: String) {
        #expect(RecoveryTarget.parseTime(text) == nil, "\(text) accepted")
    }

    @Test("the target is echoed in UTC with microseconds, and handed to PostgreSQL unchanged")
    func echo() throws {
        let date = try #require(RecoveryTarget.parseTime("2026-12-06 19:00:55.702249+01"))
        #expect(RecoveryTarget.time(date).description == "2026-12-06T18:00:55.702249Z")
        #expect(RecoveryTarget.time(date).settings["recovery_target_time"] == "2026-12-06 18:00:55.702249+00")
        #expect(RecoveryTarget.parseTime(RecoveryTarget.format(date)) == RecoveryTarget.parseTime(RecoveryTarget.postgresFormat(date)))
    }
}
