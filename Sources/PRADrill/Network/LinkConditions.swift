/// What a ``NetworkProxy`` does to the bytes flowing one way: toxiproxy's latency and
/// bandwidth toxics. The default is a perfect link.
public struct LinkConditions: Sendable, Equatable {
    /// Seconds every chunk is held after it arrived (one-way latency); chunks keep their
    /// order and are pipelined, so the delay does not cut the throughput.
    public var delay: Double = 0
    /// Up to this many seconds added to or taken from `delay` at random, per chunk.
    public var jitter: Double = 0
    /// The most bytes per second forwarded (`nil`: as fast as the peers go).
    public var bytesPerSecond: Double?

    public init(delay: Double = 0, jitter: Double = 0, bytesPerSecond: Double? = nil) {
        self.delay = delay
        self.jitter = jitter
        self.bytesPerSecond = bytesPerSecond
    }
}
