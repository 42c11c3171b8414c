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

    /// This point moved `seconds` later: a deadline.
    public func adding(_ seconds: Double) -> MonotonicClock {
        MonotonicClock(nanoseconds: nanoseconds + UInt64(max(0, seconds) * 1e9))
    }

    /// Seconds until this point; 0 once it has passed.
    public func remaining() -> Double {
        let now = MonotonicClock.now().nanoseconds
        return now >= nanoseconds ? 0 : Double(nanoseconds - now) / 1e9
    }
}
