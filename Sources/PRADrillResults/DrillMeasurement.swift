import Foundation

/// RTO and RPO as measured in a drill (definitions in docs/scenarios.md, "RTO, RPO and projections"), with their targets.
public struct DrillMeasurement: Codable, Sendable, Equatable {
    /// From the disaster to the restored database passing its checks; `nil` when no recovery happened.
    public var rtoSeconds: Double?
    public var rtoTargetSeconds: Double
    /// RTO broken into phases (before restore, then the restore's own phases).
    public var rtoPhases: [PhaseRecord]
    /// Disaster time minus the acknowledged commit time of the newest heartbeat present after restore.
    public var rpoSeconds: Double?
    public var rpoTargetSeconds: Double
    /// Heartbeats acknowledged before the disaster, and how many of them survived.
    public var heartbeatsWritten: Int?
    public var heartbeatsRecovered: Int?
    public var projections: Projections?

    public init(rtoSeconds: Double? = nil, rtoTargetSeconds: Double, rtoPhases: [PhaseRecord] = [], rpoSeconds: Double? = nil, rpoTargetSeconds: Double, heartbeatsWritten: Int? = nil, heartbeatsRecovered: Int? = nil, projections: Projections? = nil) {
        self.rtoSeconds = rtoSeconds
        self.rtoTargetSeconds = rtoTargetSeconds
        self.rtoPhases = rtoPhases
        self.rpoSeconds = rpoSeconds
        self.rpoTargetSeconds = rpoTargetSeconds
        self.heartbeatsWritten = heartbeatsWritten
        self.heartbeatsRecovered = heartbeatsRecovered
        self.projections = projections
    }
}
