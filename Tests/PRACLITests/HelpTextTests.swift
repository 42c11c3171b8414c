import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// Every command's --help lists its exit codes and an example, without insider jargon.

@Suite("--help: exit codes and an example for every command")
struct HelpTextTests {
    /// Subcommand paths from a help text's SUBCOMMANDS section.
    static func subcommands(of help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:") else { return [] }
        var names: [String] = []
        for line in help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            guard line.hasPrefix("  ") else { break }
            let trimmed = line.drop { $0 == " " }
            // Names start at two spaces; wrapped abstract lines are indented much further.
            guard line.prefix(while: { $0 == " " }).count == 2, let name = trimmed.split(separator: " ").first else { continue }
            if name != "help", name.allSatisfy({ $0.isLowercase || $0 == "-" }) { names.append(String(name)) }
        }
        return names
    }

    @Test("every command's --help lists its exit codes and an example, without insider jargon")
    func everyHelp() throws {
        var queue: [[String]] = [[]]
        var seen: [[String]] = []
        while let path = queue.first {
            queue.removeFirst()
            seen.append(path)
            let result = try PraBinary.run(path + ["--help"], environment: CLIRun.bareEnvironment())
            let name = (["pra"] + path).joined(separator: " ")
            #expect(result.exitCode == 0, "\(name) --help: \(result.stderr)")
            #expect(result.stdout.contains("Exit codes"), "\(name) --help has no exit codes")
            #expect(result.stdout.contains("Example"), "\(name) --help has no example")
            #expect(!result.stdout.contains("seed plan") && !result.stdout.contains("status.sh"), "\(name) --help speaks of the seed plan")
            if path.count < 3 { queue += Self.subcommands(of: result.stdout).map { path + [$0] }.filter { !seen.contains($0) && !queue.contains($0) } }
        }
        // pra, its 10 commands and their subcommands.
        #expect(seen.count >= 20, "walked only \(seen.map { $0.joined(separator: " ") })")
        #expect(seen.contains(["drill", "run"]) && seen.contains(["wal", "push"]) && seen.contains(["cluster", "down"]))
    }
}
