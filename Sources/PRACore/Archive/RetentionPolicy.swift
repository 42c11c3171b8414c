import Foundation

/// Which complete backups to delete after a successful backup: those older than
/// `retentionDays`, except that the `minimumKept` newest are always kept.
public struct RetentionPolicy: Sendable, Equatable {
    public var retentionDays: Int
    public var minimumKept: Int

    public init(retentionDays: Int, minimumKept: Int) {
        self.retentionDays = retentionDays
        self.minimumKept = minimumKept
    }

    /// The timestamps (of complete backups) to delete, given the time now.
    public func expired(_ timestamps: [Date], now: Date) -> [Date] {
        let cutoff = now.addingTimeInterval(-Double(retentionDays) * 86400)
        let newestFirst = timestamps.sorted(by: >)
        return newestFirst.enumerated().compactMap { index, date in
            index >= minimumKept && date < cutoff ? date : nil
        }
    }
}
