import Foundation

/// A point on the monotonic clock (unaffected by wall-clock changes), for durations.
public struct MonotonicClock: Sendable {
    let nanoseconds: UInt64

    public static func now() -> MonotonicClock {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicClock(nanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }

    /// Seconds since this point.
    public func elapsed() -> Double {
        Double(MonotonicClock.now().nanoseconds - nanoseconds) / 1e9
    }
}
