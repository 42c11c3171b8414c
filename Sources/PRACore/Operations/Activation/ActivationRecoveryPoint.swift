import Foundation

/// The newest point the activation can recover to, and what is lost: printed before anything
/// destructive, sent in every notification, kept in the report.
public struct ActivationRecoveryPoint: Codable, Sendable, Equatable {
    /// The moment the recovered data reflects (a dump's end, the end of the archived WAL).
    public var at: Date?
    /// What it is: `dump akig_20261207T040000Z.sql.gz (local)`, `base backup ... + WAL through ...`.
    public var description: String
    /// The last moment production is known to have taken writes (newest archived WAL segment,
    /// newest reachable status sample in the evidence log), and where that comes from.
    public var lastKnownWrite: Date?
    public var lastKnownWriteSource: String?

    public init(at: Date?, description: String, lastKnownWrite: Date?, lastKnownWriteSource: String?) {
        self.at = at
        self.description = description
        self.lastKnownWrite = lastKnownWrite
        self.lastKnownWriteSource = lastKnownWriteSource
    }

    /// The data-loss window: the last known write minus the recovery point (0 when the point is
    /// newer); `nil` when either is unknown.
    public var dataLossSeconds: Double? {
        guard let at, let lastKnownWrite else { return nil }
        return max(0, lastKnownWrite.timeIntervalSince(at))
    }

    /// One sentence: the point, and the window.
    public var sentence: String {
        let point = at.map { "recovery point \(RecoverableWindow.format($0))" } ?? "recovery point unknown"
        let loss: String
        if let seconds = dataLossSeconds, let lastKnownWrite {
            loss = "data-loss window \(DurationParser.format(seconds)) (last known write \(RecoverableWindow.format(lastKnownWrite)), \(lastKnownWriteSource ?? "?"))"
        } else {
            loss = "data-loss window unknown (no archived WAL and no status sample show the last write)"
        }
        return "\(point): \(description); \(loss)"
    }
}
