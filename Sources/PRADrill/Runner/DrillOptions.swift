import Foundation
import PRACore

/// How `pra drill run` runs scenarios.
public struct DrillOptions: Sendable {
    /// The `pra` executable the steps run, as cron would.
    public var praExecutable: String
    /// Scale for scenarios that do not set one.
    public var defaultScale: Double = 0.05
    /// `--scale`: overrides every scenario's scale.
    public var scaleOverride: Double?
    /// `--keep`: keep each scenario's directory (backups, reports, server log).
    public var keep = false
    /// Where scenario directories are made.
    public var workRoot: String
    /// Targets for scenarios that do not set theirs (`RPO_TARGET`, `RTO_TARGET`).
    public var rpoTarget: Double = 3600
    public var rtoTarget: Double = 1800
    /// `PRODUCTION_DB_SIZE` in bytes, for projections.
    public var productionDatabaseBytes: Double?
    /// `BACKUP_INTERVAL`, for the worst-case RPO projection.
    public var backupInterval: Double = 3600
    public var fixturesDirectory: String?
    /// `--jobs`: how many scenarios run at a time (each on its own cluster).
    public var jobs = 1
    /// Each scenario's expected duration (the history's latest), to start the longest first
    /// when `jobs` > 1.
    public var expectedSeconds: [String: Double] = [:]
    /// Receives each log line as it happens (the live display).
    public var echo: (@Sendable (String) -> Void)?

    public init(praExecutable: String, workRoot: String = NSTemporaryDirectory()) {
        self.praExecutable = praExecutable
        self.workRoot = workRoot
    }

    /// Reads the targets and projection settings from a configuration.
    public mutating func apply(_ configuration: Configuration) throws(ConfigurationError) {
        let projection = try ProjectionSettings(configuration: configuration)
        rpoTarget = projection.rpoTarget
        rtoTarget = projection.rtoTarget
        backupInterval = projection.backupInterval
        if let bytes = projection.productionDatabaseBytes { productionDatabaseBytes = bytes }
    }
}
