import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("documentation lists every variable")
struct DocumentationTests {
    @Test("every variable pra reads is in .env.example and docs/configuration.md, with its default", arguments: ["/.env.example", "/docs/configuration.md"])
    func variablesDocumented(file: String) throws {
        let text = try String(contentsOfFile: TestEnvironment.packageRoot + file, encoding: .utf8)
        for variable in Configuration.variables {
            #expect(text.contains(variable.name), "\(file) does not mention \(variable.name)")
            if let value = variable.defaultValue {
                #expect(text.contains("\(variable.name)=\(value)") || text.contains("`\(value)`"), "\(file) does not give \(variable.name)'s default \(value)")
            }
        }
    }

    @Test(".env.example parses and matches the defaults")
    func envExampleParses() throws {
        let values = try EnvFile(path: TestEnvironment.packageRoot + "/.env.example").values
        for variable in Configuration.variables {
            if let value = values[variable.name] { #expect(value == variable.defaultValue, "\(variable.name)") }
        }
    }
}
