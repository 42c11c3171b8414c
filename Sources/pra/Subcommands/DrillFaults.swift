import ArgumentParser
import Foundation
import PRACore
import PRADrill

struct DrillFaults: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "List every fault kind with its parameters, defaults and allowed steps.",
        discussion: """
            The reference is generated from the fault registry, the same declarations the loader, \
            the validator and the runner use (docs/scenarios.md explains each kind in more words). \
            For each kind: what it does, where it may appear (as a `fault:` step, or `inject:` into \
            which pra steps), when it strikes, what undoes it, what it needs, and its parameters \
            with their types, accepted values and defaults.

            Exit codes: 0 printed, 2 usage error.

            Examples:
              pra drill faults
              pra drill faults --json
              sudo pra drill faults --check      # which kinds can run on this machine
            """)

    @Flag(name: .long, help: "Print the reference as one JSON document.")
    var json = false

    @Flag(name: .long, help: "Also check which kinds can run on this machine (disk-full mounts a tiny tmpfs to find out).")
    var check = false

    func run() throws {
        let references = FaultReference.all(probeAvailability: check)
        if json {
            Terminal.output(JSONCoding.document(references))
            return
        }
        Terminal.output(references.map { Self.text($0, checked: check) }.joined(separator: "\n"))
        if check {
            let unavailable = references.filter { $0.unavailableHere != nil }
            Terminal.output("\n" + (unavailable.isEmpty
                ? "all \(references.count) fault kinds can run on this machine\n"
                : "\(references.count - unavailable.count) of \(references.count) fault kinds can run on this machine; unavailable here: \(unavailable.map(\.name).joined(separator: ", ")) (scenarios using them are skipped)\n"))
        }
    }

    /// One kind, as a block of indented lines.
    static func text(_ reference: FaultReference, checked: Bool = false) -> String {
        var lines = [reference.name, "  " + reference.summary]
        let injectable = reference.allowedSteps.filter(\.runsPra).map(\.rawValue)
        if injectable.isEmpty {
            // A setting rather than damage (s3-target): only ever a step of its own.
            lines.append("  where: as a fault: step only (never injected)")
        } else {
            let asStep = reference.allowedSteps.contains(.fault) ? "as a fault: step, or " : "not as a fault: step; "
            lines.append("  where: " + asStep + "inject: into " + injectable.joined(separator: ", "))
        }
        lines.append("  strikes: " + reference.timing.explanation)
        lines.append("  undone: " + reference.undo)
        if let requirement = reference.requirement { lines.append("  needs: " + requirement) }
        if let unavailable = reference.unavailableHere {
            lines.append("  unavailable here: " + unavailable)
        } else if checked {
            lines.append("  available here: yes")
        }
        if reference.parameters.isEmpty {
            lines.append("  parameters: none")
        } else {
            lines.append("  parameters:")
            let width = reference.parameters.map(\.name.count).max() ?? 0
            for parameter in reference.parameters {
                let accepted = parameter.accepted.map { " \($0)" } ?? ""
                let fallback = parameter.defaultValue.map { "default \($0)" } ?? "required"
                lines.append("    " + parameter.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + "\(parameter.type.rawValue)\(accepted), \(fallback): \(parameter.summary)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
