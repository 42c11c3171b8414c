import Foundation

/// `pra drill run --prometheus FILE`: the drill's verdict and measured RTO/RPO in Prometheus text
/// format, for node_exporter's textfile collector (written atomically, mode 644, as
/// ``PrometheusExposition``). Labels name the scenario; a figure a scenario did not measure is
/// left out.
public struct DrillExposition: Sendable {
    public struct Scenario: Sendable {
        public var name: String
        /// "passed", "failed" or "skipped".
        public var verdict: String
        public var rtoSeconds: Double?
        public var rtoTargetSeconds: Double
        public var rpoSeconds: Double?
        public var rpoTargetSeconds: Double

        public init(name: String, verdict: String, rtoSeconds: Double?, rtoTargetSeconds: Double, rpoSeconds: Double?, rpoTargetSeconds: Double) {
            self.name = name
            self.verdict = verdict
            self.rtoSeconds = rtoSeconds
            self.rtoTargetSeconds = rtoTargetSeconds
            self.rpoSeconds = rpoSeconds
            self.rpoTargetSeconds = rpoTargetSeconds
        }
    }

    public let text: String

    public init(finishedAt: Date, scenarios: [Scenario]) {
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            guard !samples.isEmpty else { return }
            lines.append("# HELP pra_\(name) \(help)")
            lines.append("# TYPE pra_\(name) gauge")
            for sample in samples { lines.append("pra_\(name)\(sample.labels) \(PrometheusExposition.format(sample.value))") }
        }
        func label(_ scenario: Scenario) -> String { "{scenario=\"\(PrometheusExposition.escape(scenario.name))\"}" }
        let failed = scenarios.contains { $0.verdict == "failed" }
        gauge("drill_finished_timestamp_seconds", "When the last drill run finished (Unix time).", [("", finishedAt.timeIntervalSince1970)])
        gauge("drill_passed", "Verdict of the last drill run: 1 no scenario failed, 0 a scenario failed.", [("", failed ? 0 : 1)])
        gauge("drill_scenarios", "Scenarios of the last drill run by verdict.",
              ["passed", "failed", "skipped"].map { verdict in ("{verdict=\"\(verdict)\"}", Double(scenarios.filter { $0.verdict == verdict }.count)) })
        gauge("drill_rto_seconds", "Recovery time measured by each scenario of the last drill run, in seconds.",
              scenarios.compactMap { scenario in scenario.rtoSeconds.map { (label(scenario), $0) } })
        gauge("drill_rto_target_seconds", "Each scenario's RTO target, in seconds.",
              scenarios.filter { $0.rtoSeconds != nil }.map { (label($0), $0.rtoTargetSeconds) })
        gauge("drill_rpo_seconds", "Data loss (recovery point) measured by each scenario of the last drill run, in seconds.",
              scenarios.compactMap { scenario in scenario.rpoSeconds.map { (label(scenario), $0) } })
        gauge("drill_rpo_target_seconds", "Each scenario's RPO target, in seconds.",
              scenarios.filter { $0.rpoSeconds != nil }.map { (label($0), $0.rpoTargetSeconds) })
        text = lines.joined(separator: "\n") + "\n"
    }

    /// Writes the exposition to `path` atomically, mode 644 (``OutputFile``: `-`, a link, a
    /// device or a FIFO is written through instead).
    public func write(to path: String) throws(FileError) {
        try OutputFile.write(Data(text.utf8), to: path, permissions: 0o644)
    }
}
