/// Rewrites the bytes of one connection through a ``NetworkProxy`` as they cross it: a fault's
/// view of the stream (an S3 store that drops a header and damages what it serves). One value
/// per connection, called from that connection's two reader threads (one per direction), so
/// an implementation guards its own state.
protocol ProxyStreamFilter: AnyObject, Sendable {
    /// The bytes to forward for `chunk`, just read from one side (`upstream`: client → server);
    /// it may hold bytes back (return fewer, or none) until it has seen enough.
    func filter(_ chunk: [UInt8], upstream: Bool) -> [UInt8]
    /// What it still holds back when that side's stream ended.
    func flush(upstream: Bool) -> [UInt8]
}
