import Foundation
import PRATestSupport
import Testing

/// What the Debian package relies on from the command line (scripts/test-package.sh checks the
/// installed package itself).
@Suite("packaging: pra --version, the drill's Prometheus option")
struct PackagingCLITests {
    @Test("pra --version prints the version and the commit (\"unknown commit\" when the build did not record one)")
    func version() throws {
        let result = try PraBinary.run(["--version"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.exitCode == 0)
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.range(of: #"^[0-9]+\.[0-9]+\.[0-9]+ \((commit [0-9a-f]{12}(-dirty)?|unknown commit)\)$"#, options: .regularExpression) != nil, "\(line)")
    }

    @Test("pra drill run documents --prometheus")
    func drillPrometheusOption() throws {
        let result = try PraBinary.run(["drill", "run", "--help"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.exitCode == 0)
        #expect(result.stdout.contains("--prometheus <file>"))
    }
}
