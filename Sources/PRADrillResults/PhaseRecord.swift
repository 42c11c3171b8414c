import Foundation
import PRACore

/// A named duration.
public struct PhaseRecord: Codable, Sendable, Equatable {
    public var name: String
    public var seconds: Double

    public init(name: String, seconds: Double) {
        self.name = name
        self.seconds = seconds
    }
}

extension PhaseRecord {
    /// Which operation phase this is; `nil` for a name this version does not know.
    public var phase: OperationPhase? { OperationPhase(rawValue: name) }
}
