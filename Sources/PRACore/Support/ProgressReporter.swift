import Foundation

/// Progress of long work (bytes, rate, elapsed) on a terminal; silent otherwise.
///
/// Core operations call ``update(phase:bytes:total:)``; the executable decides whether the
/// reporter draws (stderr is a terminal and `--quiet` was not given).
public final class ProgressReporter: @unchecked Sendable {
    private let enabled: Bool
    private let started = MonotonicClock.now()
    private var lastDraw = -1.0
    private var drewSomething = false
    private let lock = NSLock()

    public init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Draws on stderr when it is a terminal and `quiet` is false.
    public static func forTerminal(quiet: Bool) -> ProgressReporter {
        ProgressReporter(enabled: !quiet && isatty(2) == 1)
    }

    public func update(phase: String, bytes: UInt64, total: UInt64? = nil) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let elapsed = started.elapsed()
        guard elapsed - lastDraw >= 0.2 else { return }
        lastDraw = elapsed
        draw(Self.line(phase: phase, bytes: bytes, total: total, elapsed: elapsed))
    }

    /// Names the phase that starts now (checks, fallback, remote copy...), drawn at once, so
    /// that the line never falls silent between two measured phases. ``finish()`` clears it.
    public func announce(_ phase: String) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        draw(phase + "...")
        lastDraw = started.elapsed()
    }

    private func draw(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        drewSomething = true
    }

    /// The progress line: bytes, and with a known `total` the percentage and the time left
    /// (estimated from the rate so far); then rate and elapsed time. A `total` that is only an
    /// estimate (the database size for a dump) may be passed: the percentage stops at 100 %.
    public static func line(phase: String, bytes: UInt64, total: UInt64?, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(bytes) / elapsed : 0
        var line = "\(phase): \(ByteCount.format(bytes))"
        var left = ""
        if let total, total > 0 {
            let percent = min(100, Int(Double(bytes) * 100 / Double(total)))
            line += " of \(ByteCount.format(total)) (\(percent)%)"
            if rate > 0, bytes > 0, elapsed >= 1 {
                let remaining = bytes >= total ? 0 : Double(total - bytes) / rate
                left = remaining > 0 ? ", ETA \(DurationParser.format(remaining))" : ", almost done"
            }
        }
        line += ", \(ByteCount.format(UInt64(rate)))/s, \(DurationParser.format(elapsed))" + left
        return line
    }

    /// Clears the progress line.
    public func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if drewSomething { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drewSomething = false
        lastDraw = -1
    }
}

/// Human byte counts: `512 B`, `3.2 MiB`.
public enum ByteCount {
    public static func format(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
