import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRADrill

// The fault registry is the one list of fault kinds: these tests check that its declarations
// hold together, that the loader and the reference follow it, and that the documentation names
// every kind and parameter it declares. No PostgreSQL is needed.

/// The package root: this file is Tests/PRAUnitTests/FaultRegistryTests.swift.
private let packageRoot: String = {
    var root = #filePath
    for _ in 0..<3 { root = (root as NSString).deletingLastPathComponent }
    return root
}()

private func documentation(_ name: String) throws -> String {
    try String(contentsOfFile: (packageRoot as NSString).appendingPathComponent("docs/\(name)"), encoding: .utf8)
}

@Suite("fault registry")
struct FaultRegistryTests {
    @Test("kind names are unique; each kind has a summary and a place to go; undo names a registered kind")
    func declarationsHoldTogether() {
        #expect(Set(FaultRegistry.names).count == FaultRegistry.all.count)
        for kind in FaultRegistry.all {
            #expect(!kind.summary.isEmpty, "\(kind.name)")
            #expect(!kind.allowedSteps.isEmpty, "\(kind.name)")
            #expect(kind.allowedSteps.allSatisfy { $0 == .fault || $0.runsPra }, "\(kind.name) names a step that cannot take a fault")
            #expect(Set(kind.parameters.map(\.name)).count == kind.parameters.count, "\(kind.name) declares a parameter twice")
            if case .byLaterFault(let undoer) = kind.undo {
                #expect(FaultRegistry.kind(named: undoer) != nil, "\(kind.name) is undone by unknown kind \(undoer)")
            }
            if kind.timing == .duringStep {
                #expect(!kind.allowedSteps.contains(.fault), "\(kind.name) acts during a step, so it cannot be a step of its own")
            }
        }
    }

    @Test("every kind loads with its declared defaults", arguments: FaultRegistry.names)
    func defaultsParse(name: String) throws {
        let kind = try #require(FaultRegistry.kind(named: name))
        let scenario = try ScenarioLoader().parse("name: t\n" + minimalFaultHeader(kind) + "steps:\n  - backup: {}\n" + minimalFaultStep(kind), file: "t.yaml")
        let step = try #require(scenario.steps.last)
        var fault = step.fault?.fault
        if let standalone = step.action.implementation as? FaultStep { fault = standalone.fault }
        #expect(fault?.kind == name)
    }

    @Test("the loader's \"known:\" list is the registry's, in its order")
    func loaderKnownList() throws {
        do {
            _ = try ScenarioLoader().parse("name: t\nsteps:\n  - fault: {kind: flood}\n", file: "t.yaml")
            Issue.record("an unknown fault kind loaded")
        } catch {
            #expect(error.message == "unknown fault kind \"flood\" (known: \(FaultRegistry.names.joined(separator: ", ")))")
            #expect(error.key == "steps[1].fault.kind")
            #expect(error.line == 3)
        }
    }

    @Test("a parameter of another kind is rejected naming the kind's own parameters")
    func foreignParameter() throws {
        do {
            _ = try ScenarioLoader().parse("name: t\nsteps:\n  - fault: {kind: webhook-error, free: 1MiB}\n", file: "t.yaml")
            Issue.record("a foreign parameter loaded")
        } catch {
            #expect(error.message == "not a parameter of webhook-error (it takes: status)")
            #expect(error.key == "steps[1].fault.free")
        }
    }

    @Test("docs/scenarios.md has a row for every fault kind naming each of its parameters")
    func scenariosDocumentEveryKind() throws {
        let lines = try documentation("scenarios.md").components(separatedBy: "\n")
        for kind in FaultRegistry.all {
            let row = lines.first { $0.hasPrefix("| `\(kind.name)` |") }
            #expect(row != nil, "docs/scenarios.md has no row for \(kind.name) in its fault table")
            for parameter in kind.parameters {
                #expect(row?.contains("`\(parameter.name)`") == true, "docs/scenarios.md's row for \(kind.name) does not name its parameter \(parameter.name)")
            }
        }
    }

    @Test("docs/ci.md names every fault kind")
    func ciDocumentEveryKind() throws {
        let text = try documentation("ci.md")
        for name in FaultRegistry.names {
            #expect(text.contains("`\(name)`"), "docs/ci.md does not name \(name)")
        }
    }
}
