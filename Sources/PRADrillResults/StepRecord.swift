import Foundation

/// What one step did.
public struct StepRecord: Codable, Sendable, Equatable {
    /// 1-based position in the scenario.
    public var index: Int
    /// `backup`, `verify`, `restore`, `status`, `fault`, `disaster`, `wait`.
    public var kind: String
    /// One line: "backup with kill-connections after 512 KiB".
    public var summary: String
    public var startedAt: Date
    public var seconds: Double
    /// Exit code of the `pra` child, for core steps.
    public var exitCode: Int32?
    /// The child's one-line error (stderr), when it failed.
    public var errorLine: String?
    /// The human-readable lines the command prints without `--json` (its summary, a remote
    /// copy's, a restore's checks and fallbacks...), rebuilt from its JSON document;
    /// `message_contains` matches them too.
    public var messages: [String]?
    /// A recovery after the disaster: this step's own RTO and RPO, in seconds.
    public var rtoSeconds: Double?
    public var rpoSeconds: Double?
    /// On a `disaster` step, the class of the disaster it injected; on a recovery step after a
    /// disaster, the class of the disaster it recovered from (the latest before it). `nil` on
    /// other steps and in records written before schema version 6.
    public var disasterClass: DisasterClass?
    /// On a recovery step after a disaster: how it recovered. `nil` otherwise and before schema
    /// version 6.
    public var recoveryMethod: RecoveryMethod?

    public init(index: Int, kind: String, summary: String, startedAt: Date, seconds: Double, exitCode: Int32? = nil, errorLine: String? = nil) {
        self.index = index
        self.kind = kind
        self.summary = summary
        self.startedAt = startedAt
        self.seconds = seconds
        self.exitCode = exitCode
        self.errorLine = errorLine
    }
}
