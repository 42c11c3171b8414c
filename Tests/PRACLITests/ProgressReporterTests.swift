import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// Progress with a known size shows the percentage and the time left.

@Suite("progress lines")
struct ProgressReporterTests {
    @Test("progress with a known size shows the percentage and the time left")
    func progressLine() {
        let line = ProgressReporter.line(phase: "backup", bytes: 50 * 1024 * 1024, total: 100 * 1024 * 1024, elapsed: 10)
        #expect(line.contains("(50%)"), "\(line)")
        #expect(line.contains("ETA 10s"), "\(line)")
        #expect(line.hasPrefix("backup: 50.0 MiB of 100.0 MiB"))
        let over = ProgressReporter.line(phase: "backup", bytes: 120, total: 100, elapsed: 2)
        #expect(over.contains("(100%)") && over.contains("almost done"), "\(over)")
        let unknown = ProgressReporter.line(phase: "verify WAL", bytes: 2048, total: nil, elapsed: 2)
        #expect(!unknown.contains("%") && !unknown.contains("ETA"))
    }
}
