import Foundation

/// A named duration.
public struct PhaseRecord: Codable, Sendable, Equatable {
    public var name: String
    public var seconds: Double

    public init(name: String, seconds: Double) {
        self.name = name
        self.seconds = seconds
    }
}
