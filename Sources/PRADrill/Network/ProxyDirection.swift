/// Which way a network fault acts, seen from `pra`: `upstream` is what pra sends (queries, a
/// restore's data), `downstream` what the server sends back (answers, a backup's dump).
public enum ProxyDirection: String, Sendable, Equatable, CaseIterable {
    case both
    case upstream
    case downstream

    /// True when it acts on the upstream (pra → server) flow.
    var includesUpstream: Bool { self != .downstream }
    /// True when it acts on the downstream (server → pra) flow.
    var includesDownstream: Bool { self != .upstream }
}
