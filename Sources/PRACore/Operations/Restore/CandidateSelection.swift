/// Where the off-site candidates of a ``CandidateSelection`` come from: listed once, when the
/// local candidates ran out (or when the restore asks for them first).
protocol OffSiteCandidateSource {
    associatedtype Candidate
    /// The off-site candidates to try, in order, and a line for each problem met listing them
    /// (an unreachable store, copies of several clusters): never thrown, since the local
    /// candidates may still be tried and the lines say why the off-site ones could not be.
    mutating func list() -> (candidates: [Candidate], notes: [String])
}

/// The selection model both restore strategies share (``RestoreCandidates`` for the logical
/// restore, ``PointInTimeBaseBackupSources`` for point-in-time recovery): an ordered list of
/// candidates, the local ones first (newest first), then the off-site ones, listed only when
/// the local ones ran out; each handed out once, to be tried; and the notes of what went wrong
/// listing the off-site ones, in order. Why a tried candidate failed is recorded by the
/// strategy in its result (`skippedBackups`), as it tries it.
struct CandidateSelection<Local, Source: OffSiteCandidateSource> {
    /// One candidate.
    enum Candidate {
        case local(Local)
        case remote(Source.Candidate)
    }

    private var pending: [Candidate]
    /// The off-site source, `nil` when none is configured (or after it was listed, its state kept).
    private(set) var source: Source?
    private var listed: Bool
    /// What went wrong listing the off-site candidates.
    private(set) var notes: [String] = []
    /// How many candidates were handed out.
    private(set) var handedOut = 0

    init(local: [Local], offSite source: Source?) {
        pending = local.map(Candidate.local)
        self.source = source
        listed = source == nil
    }

    /// Lists the off-site candidates now (once), after the local ones still pending.
    mutating func listOffSite() {
        guard !listed, var source else { return }
        listed = true
        let listing = source.list()
        self.source = source
        pending += listing.candidates.map(Candidate.remote)
        notes += listing.notes
    }

    /// Whether another candidate is left (lists the off-site ones when the local ones ran out).
    mutating func hasMore() -> Bool {
        if pending.isEmpty { listOffSite() }
        return !pending.isEmpty
    }

    /// The next candidate to try; `nil` when none is left.
    mutating func next() -> Candidate? {
        guard hasMore() else { return nil }
        handedOut += 1
        return pending.removeFirst()
    }
}
