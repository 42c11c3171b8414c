import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// The generated bash completion offers scenario names after --only.

@Suite("bash completion")
struct CompletionScriptTests {
    @Test("bash completion offers scenario names after --only")
    func completion() throws {
        let script = try PraBinary.run(["--generate-completion-script", "bash"], environment: CLIRun.bareEnvironment())
        #expect(script.exitCode == 0)
        #expect(script.stdout.contains("---completion drill run -- --only"), "the bash script does not ask pra for --only values")
        let names = try CLIRun.pra(["---completion", "drill", "run", "--", "--only", "4", "8", "pra", "drill", "run", "--only", "baseline"], in: TestEnvironment.packageRoot, environment: CLIRun.bareEnvironment())
        #expect(names.stdout.split(separator: "\n") == ["baseline-drop-database"], "\(names.stdout)\(names.stderr)")
    }
}
