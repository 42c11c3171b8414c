import Foundation
import Testing

@testable import PRACore

// RetentionPolicy decides which complete backups a successful backup deletes: older than
// BACKUP_RETENTION_DAYS, except the BACKUP_MIN_KEEP newest. Pure date arithmetic, no files.

@Suite("RetentionPolicy: age limit with a floor of newest backups")
struct RetentionPolicyTests {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func daysAgo(_ days: Double) -> Date { now.addingTimeInterval(-days * 86400) }

    @Test("backups older than the limit go, newest first order does not matter")
    func olderThanLimitExpire() {
        let policy = RetentionPolicy(retentionDays: 30, minimumKept: 1)
        let backups = [daysAgo(40), daysAgo(1), daysAgo(31), daysAgo(29)]
        #expect(policy.expired(backups, now: now) == [daysAgo(31), daysAgo(40)])
    }

    @Test("the minimum kept holds even when every backup is past the limit")
    func floorKeepsNewest() {
        let policy = RetentionPolicy(retentionDays: 7, minimumKept: 3)
        let backups = (10...15).map { daysAgo(Double($0)) }
        #expect(policy.expired(backups, now: now) == [daysAgo(13), daysAgo(14), daysAgo(15)])
    }

    @Test("a backup exactly at the cutoff is kept; an empty list deletes nothing")
    func boundaries() {
        let policy = RetentionPolicy(retentionDays: 30, minimumKept: 0)
        #expect(policy.expired([daysAgo(30)], now: now).isEmpty)
        #expect(policy.expired([daysAgo(30.0001)], now: now) == [daysAgo(30.0001)])
        #expect(policy.expired([], now: now).isEmpty)
    }
}
