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

    /// The rows of docs/configuration.md's variable tables: name, default column, whole row.
    static func documentedRows() throws -> [(name: String, defaultColumn: String, row: String)] {
        let text = try String(contentsOfFile: TestEnvironment.packageRoot + "/docs/configuration.md", encoding: .utf8)
        var rows: [(String, String, String)] = []
        var inTable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("| variable | default |") { inTable = true; continue }
            guard inTable, line.hasPrefix("|") else { inTable = false; continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 3, cells[1].hasPrefix("`") else { continue }
            rows.append((cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`")), cells[2], String(line)))
        }
        return rows
    }

    @Test("docs/configuration.md's variable tables hold exactly the declared variables, once each, with their defaults; secrets marked")
    func variableTablesMatchDeclaration() throws {
        let rows = try Self.documentedRows()
        let declared = Set(Setting.allCases.map(\.name))
        #expect(rows.count == Setting.allCases.count, "\(rows.count) rows for \(Setting.allCases.count) variables")
        for row in rows { #expect(declared.contains(row.name), "docs/configuration.md documents \(row.name), which pra does not declare") }
        for setting in Setting.allCases {
            let matching = rows.filter { $0.name == setting.name }
            #expect(matching.count == 1, "docs/configuration.md has \(matching.count) rows for \(setting.name)")
            guard let row = matching.first else { continue }
            if let value = setting.defaultValue {
                #expect(row.defaultColumn == "`\(value)`", "\(setting.name): documented default \(row.defaultColumn), declared \(value)")
            }
            if setting.isSecret { #expect(row.row.contains("secret"), "docs/configuration.md does not mark \(setting.name) a secret") }
        }
    }

    @Test(".env.example names only declared variables; secrets are commented out and marked")
    func envExampleMatchesDeclaration() throws {
        let text = try String(contentsOfFile: TestEnvironment.packageRoot + "/.env.example", encoding: .utf8)
        var named: [String] = []
        for line in text.split(separator: "\n") {
            let body = line.hasPrefix("# ") ? line.dropFirst(2) : line[...]
            guard let match = body.prefixMatch(of: #/([A-Z][A-Z0-9_]+)=/#) else { continue }
            let name = String(match.output.1)
            named.append(name)
            #expect(Setting(name: name) != nil, ".env.example sets \(name), which pra does not declare")
            if Setting(name: name)?.isSecret == true {
                #expect(line.hasPrefix("#") && line.contains("secret"), ".env.example: \(name) must be commented out and marked a secret")
            }
        }
        for setting in Setting.allCases { #expect(named.contains(setting.name), ".env.example has no \(setting.name)= line") }
    }

    @Test(".env.example parses and matches the defaults")
    func envExampleParses() throws {
        let values = try EnvFile(path: TestEnvironment.packageRoot + "/.env.example").values
        for variable in Configuration.variables {
            if let value = values[variable.name] { #expect(value == variable.defaultValue, "\(variable.name)") }
        }
    }
}
