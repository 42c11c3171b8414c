import Foundation

/// Which share of the catalogue a `pra drill run --shard I/N` ran, recorded in its result so
/// that `pra report` can put the shards of one pipeline back together.
public struct ShardRecord: Codable, Sendable, Equatable {
    /// 1-based: this run is shard `index` of `count`.
    public var index: Int
    public var count: Int
    /// The pipeline the shards belong to (`--group`, or the CI's pipeline id); `nil` when neither
    /// was given: shards are then matched by ``plan`` and the UTC day they started.
    public var group: String?
    /// A fingerprint of the whole assignment (every scenario and its shard): shards made from
    /// different catalogues or histories never merge.
    public var plan: String
    /// Every scenario of the sharded catalogue, in run order, whichever shard runs it.
    public var catalogue: [String]

    public init(index: Int, count: Int, group: String?, plan: String, catalogue: [String]) {
        self.index = index
        self.count = count
        self.group = group
        self.plan = plan
        self.catalogue = catalogue
    }
}
