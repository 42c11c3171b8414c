/// How sending one alert through one channel went.
public struct AlertDelivery: Sendable, Codable, Equatable {
    public var channel: String
    public var server: String
    public var delivered: Bool
    /// Why it was not delivered.
    public var error: String?

    /// The warning a command prints for a failed delivery.
    public var warning: String? {
        delivered ? nil : "\(channel) alert via \(server) failed: \(error ?? "unknown error") (the command's own result is unchanged)"
    }
}
