import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// Unknown --only names and fault kinds are answered with the closest match; unrelated names are not matched.

@Suite("closest match: unknown names get the nearest known one")
struct ClosestMatchTests {
    @Test("an unknown --only name or fault kind gets the closest match")
    func didYouMean() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-typo")
        let only = try CLIRun.pra(["drill", "run", TestEnvironment.packageRoot + "/scenarios", "--only", "baseline-drop-databse", "--env-file", "/dev/null"], in: directory, environment: CLIRun.bareEnvironment())
        #expect(only.exitCode == 2)
        #expect(only.stderr.contains("did you mean \"baseline-drop-database\"?"), "\(only.stderr)")

        let file = directory + "/typo.yaml"
        try """
            name: typo
            description: a fault kind with a typo
            steps:
              - backup: {}
              - fault: {kind: corupt-archive}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let validate = try CLIRun.pra(["drill", "validate", file], in: directory, environment: CLIRun.bareEnvironment())
        #expect(validate.exitCode == 2)
        #expect(validate.stdout.contains("did you mean \"corrupt-archive\"?"), "\(validate.stdout)")
    }

    @Test("closest match: typos are matched, unrelated names are not")
    func closestMatch() {
        let names = ["baseline-drop-database", "kill-connection-during-backup", "disk-full-during-backup"]
        #expect(ClosestMatch.suggestion(for: "baseline-drop-databse", among: names) == "baseline-drop-database")
        #expect(ClosestMatch.suggestion(for: "kill-conection-during-backup", among: names) == "kill-connection-during-backup")
        #expect(ClosestMatch.suggestion(for: "zzz", among: names) == nil)
        #expect(ClosestMatch.hint(for: "zzz", among: names) == "")
    }
}
