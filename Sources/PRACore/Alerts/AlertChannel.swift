/// A way to deliver alerts (Slack webhook, email).
public protocol AlertChannel: Sendable {
    /// `slack` or `email`.
    var name: String { get }
    /// Where it delivers, without secrets: for logs and error messages.
    var server: String { get }
    /// Delivers `alert` or throws why not.
    func deliver(_ alert: Alert) throws(AlertError)
}
