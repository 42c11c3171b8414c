/// One parameter a fault kind reads from its YAML mapping, as the loader, `pra drill faults`
/// and docs/scenarios.md show it.
public struct FaultParameter: Sendable, Equatable, Encodable {
    /// How the value is written.
    public enum ValueType: String, Sendable, Equatable, Encodable {
        /// `64KiB`, `1MiB`, `65536` (powers of 1024).
        case size
        /// `0.5s`, `30s`, `5m`.
        case duration
        /// A whole number within a range.
        case wholeNumber = "whole-number"
        /// A number in [0, 1).
        case fraction
        /// An archive selector: `newest`, `previous`, `oldest`, `N`.
        case archive
        /// One of a list of words.
        case choice
        /// A table: `schema.name`, or a name in `public`.
        case table
    }

    /// The key in the fault's mapping.
    public var name: String
    /// How the value is written.
    public var type: ValueType
    /// The value used when the key is absent, as written in YAML; `nil` when it is required.
    public var defaultValue: String?
    /// The accepted values when narrower than the type (a range, the words of a choice).
    public var accepted: String?
    /// What it means.
    public var summary: String

    /// A parameter; `defaultValue` `nil` makes it required.
    public init(_ name: String, _ type: ValueType, default defaultValue: String?, accepted: String? = nil, summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.accepted = accepted
        self.summary = summary
    }
}
