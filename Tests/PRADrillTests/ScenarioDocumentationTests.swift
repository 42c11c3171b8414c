import Foundation
import PRACore
import PRATestSupport
import Testing

/// Every scenario snippet of docs/scenarios.md goes through `pra drill validate`, so the
/// reference cannot drift from the validator (issue 25, "What to build" 3). A snippet that is
/// a fragment of a `steps:` list is marked in the page with `<!-- snippet: steps -->` just
/// before its fence; it is validated inside a minimal scenario (a name and one backup step
/// before it), never skipped.
@Suite("docs/scenarios.md: scenario snippets")
struct ScenarioDocumentationTests {
    struct Snippet {
        var line: Int
        var text: String
        var isStepsFragment: Bool
    }

    static let stepsMarker = "<!-- snippet: steps -->"

    /// The ```yaml blocks of the page, with whether the marker precedes them.
    static func snippets(in page: String) -> [Snippet] {
        var snippets: [Snippet] = []
        var current: Snippet?
        var previous = ""
        for (index, line) in page.components(separatedBy: "\n").enumerated() {
            if current == nil, line.hasPrefix("```yaml") {
                current = Snippet(line: index + 1, text: "", isStepsFragment: previous.trimmingCharacters(in: .whitespaces) == stepsMarker)
            } else if var snippet = current {
                if line.hasPrefix("```") {
                    snippets.append(snippet)
                    current = nil
                } else {
                    snippet.text += line + "\n"
                    current = snippet
                }
            }
            if !line.trimmingCharacters(in: .whitespaces).isEmpty { previous = line }
        }
        return snippets
    }

    @Test("every yaml snippet validates with pra drill validate: whole scenarios as written, steps fragments inside a minimal scenario")
    func snippetsValidate() throws {
        let page = try String(contentsOfFile: TestEnvironment.packageRoot + "/docs/scenarios.md", encoding: .utf8)
        let snippets = Self.snippets(in: page)
        #expect(snippets.count >= 8, "found only \(snippets.count) yaml snippets")
        let directory = TestEnvironment.temporaryDirectory("scenario-snippets")
        var names: [String] = []
        for (index, snippet) in snippets.enumerated() {
            let name = String(format: "snippet-%02d-line-%d.yaml", index + 1, snippet.line)
            let text = snippet.isStepsFragment
                ? "name: docs-fragment-\(index + 1)\nscale: 0.3\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {}\n" + snippet.text
                : snippet.text
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
            names.append(name)
        }
        let fragments = snippets.filter(\.isStepsFragment).count
        #expect(fragments == 2, "the steps fragments marked in the page changed: \(fragments)")
        let run = try PraBinary.run(["drill", "validate", directory], environment: TestEnvironment.baseEnvironment())
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        for name in names {
            #expect(run.stdout.contains("ok      \(directory)/\(name)"), "not validated: \(name)\n\(run.stdout)\n\(run.stderr)")
        }
    }
}
