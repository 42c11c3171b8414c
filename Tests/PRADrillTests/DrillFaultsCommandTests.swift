import Foundation
import PRATestSupport
import Testing

@testable import PRADrill

// `pra drill faults` prints the fault registry: every kind, as text and JSON, and with --check
// which kinds can run on this machine. The registry's own consistency is FaultRegistryTests.

@Suite("pra drill faults")
struct DrillFaultsCommandTests {
    @Test("pra drill faults lists every kind, with --json too")
    func referenceCommand() throws {
        let text = try PraBinary.run(["drill", "faults"], environment: ProcessInfo.processInfo.environment)
        #expect(text.exitCode == 0, "\(text.stderr)")
        for kind in FaultRegistry.all {
            #expect(text.stdout.contains("\(kind.name)\n  "), "\(kind.name) is not listed")
            for parameter in kind.parameters {
                #expect(text.stdout.contains("    \(parameter.name) "), "\(kind.name)'s \(parameter.name) is not listed")
            }
        }
        let json = try PraBinary.run(["drill", "faults", "--json"], environment: ProcessInfo.processInfo.environment)
        #expect(json.exitCode == 0, "\(json.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(entries.compactMap { $0["name"] as? String } == FaultRegistry.names)
    }

    @Test("pra drill faults --check confirms each kind that can run here and counts them; a kind that is never injected is undone when the scenario ends")
    func checkConfirms() throws {
        let run = try PraBinary.run(["drill", "faults", "--check"], environment: ProcessInfo.processInfo.environment)
        #expect(run.exitCode == 0, "\(run.stderr)")
        let blocks = run.stdout.components(separatedBy: "\n\n")
        for kind in FaultRegistry.all {
            let block = try #require(blocks.first { $0.hasPrefix(kind.name + "\n") || $0.contains("\n" + kind.name + "\n  ") }, "\(kind.name) not listed")
            #expect(block.contains("  available here: yes") || block.contains("  unavailable here: "), "\(kind.name): no verdict\n\(block)")
        }
        #expect(run.stdout.contains("fault kinds can run on this machine"), "\(run.stdout.suffix(300))")
        let plain = try PraBinary.run(["drill", "faults"], environment: ProcessInfo.processInfo.environment)
        #expect(!plain.stdout.contains("available here"))
        let s3 = try #require(plain.stdout.components(separatedBy: "\n\n").first { $0.hasPrefix("s3-target\n") })
        #expect(s3.contains("never injected") && s3.contains("undone: when the scenario ends"), "\(s3)")
    }
}
