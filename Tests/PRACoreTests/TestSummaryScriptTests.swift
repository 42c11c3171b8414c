import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// scripts/test-summary.awk (scripts/test.sh's last line) counts every test swift-testing ran,
/// whether it has a quoted display name or only its function name; the README's count is the
/// suite's.
@Suite("test summary: the count matches what swift-testing runs")
struct TestSummaryScriptTests {
    static func summary(of output: String) throws -> String {
        let directory = TestEnvironment.temporaryDirectory("summary")
        try output.write(toFile: directory + "/output.txt", atomically: true, encoding: .utf8)
        let outcome = try ExternalProcess(executable: "/usr/bin/awk", arguments: ["-f", TestEnvironment.packageRoot + "/scripts/test-summary.awk", directory + "/output.txt"], timeout: 30).run()
        #expect(outcome.exitCode == 0, "\(outcome.standardError)")
        return outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("test-summary.awk: display names and bare function names, parameterized, skipped, failed, issue-only, crashed")
    func countsEveryKindOfName() throws {
        let output = """
            ◇ Test "backup works" started.
            ◇ Test everyPublishedVectorSignsIdentically() started.
            ◇ Test encoding(x:) started.
            ◇ Test "needs sshd" started.
            ➜ Test "needs sshd" skipped: "sshd is not installed"
            ✔ Test "backup works" passed after 0.004 seconds.
            ✔ Test everyPublishedVectorSignsIdentically() passed after 0.003 seconds.
            ✘ Test encoding(x:) recorded an issue at S3SignerTests.swift:60:9: Expectation failed
            ✘ Test encoding(x:) with 2 test cases failed after 0.010 seconds with 1 issue.
            ✘ Test theSecretNeverAppears() recorded an issue at S3SignerTests.swift:70:9: prerequisite missing
            ◇ Test "crashes" started.
            ◇ Suite "signer" started.
            ✔ Suite "signer" passed after 0.1 seconds.
            ✘ Test run with 6 tests in 1 suite failed after 1.0 seconds with 2 issues.
            """
        // passed: "backup works", everyPublished...; failed: encoding(x:), theSecret... (issue only), "crashes" (never finished).
        #expect(try Self.summary(of: output) == "2 passed, 3 failed, 1 skipped")
    }

    @Test("a run whose summary says every test passed: a missing result line is noted, not failed")
    func missingResultLine() throws {
        let output = """
            ◇ Test plainFunction() started.
            ◇ Test "named" started.
            ✔ Test "named" passed after 0.1 seconds.
            ✔ Test run with 2 tests in 1 suite passed after 0.2 seconds.
            """
        #expect(try Self.summary(of: output) == "note: 1 result line(s) missing from the output; the run's summary says every test passed\n2 passed, 0 failed, 0 skipped")
    }

    @Test("README's test count is the number of @Test functions in Tests/ (what swift-testing's 'Test run with N tests' counts)")
    func readmeCount() throws {
        let tests = TestEnvironment.packageRoot + "/Tests"
        let files = try #require(FileManager.default.enumerator(atPath: tests)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        var count = 0
        for file in files {
            let text = try String(contentsOfFile: tests + "/" + file, encoding: .utf8)
            count += text.split(separator: "\n").filter { $0.drop { $0 == " " }.hasPrefix("@Test") }.count
        }
        let readme = try String(contentsOfFile: TestEnvironment.packageRoot + "/README.md", encoding: .utf8)
        let stated = readme.matches(of: /(\d[\d,]*) tests\)/).map { Int($0.output.1.replacingOccurrences(of: ",", with: "")) }
        #expect(!stated.isEmpty, "README states no test count")
        #expect(stated.allSatisfy { $0 == count }, "README says \(stated) tests; Tests/ holds \(count) @Test functions: update README.md")
    }
}
