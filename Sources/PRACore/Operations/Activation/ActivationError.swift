/// Why `pra activate` refused or stopped, as one line.
public struct ActivationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// A refusal before anything destructive (usage, configuration, resume refused): exit 2.
    public var isRefusal: Bool

    public init(_ message: String, isRefusal: Bool = true) {
        self.message = message
        self.isRefusal = isRefusal
    }

    public var description: String { message }
}
