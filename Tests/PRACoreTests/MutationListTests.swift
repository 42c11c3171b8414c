import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// scripts/mutation/mutants.tsv names each defect by the text it replaces: when the code moves
/// on, a mutant silently stops applying and the campaign stops with exit 2. Checked here, in
/// every test run, instead of on the day someone runs the campaign.
@Suite("mutation list: every mutant applies to the sources as they are")
struct MutationListTests {
    @Test("scripts/mutation-test.sh --check: each mutant's original text occurs exactly once in its file")
    func everyMutantApplies() throws {
        let outcome = try ExternalProcess(executable: "/bin/bash", arguments: [TestEnvironment.packageRoot + "/scripts/mutation-test.sh", "--check"], timeout: 60).run()
        #expect(outcome.exitCode == 0, "\(outcome.standardError)")
        #expect(outcome.standardError.contains("mutants apply to the sources as they are"), "\(outcome.standardError)")
    }
}
