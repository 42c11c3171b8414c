/// Where the recovered database answers: the hooks receive it, verification checks it, a
/// resumed activation finds it again.
public struct ActivationServer: Codable, Sendable, Equatable {
    /// Host or socket directory; `nil`: the configured one.
    public var host: String?
    /// `nil`: the configured one.
    public var port: Int?
    public var database: String

    public init(host: String?, port: Int?, database: String) {
        self.host = host
        self.port = port
        self.database = database
    }
}
