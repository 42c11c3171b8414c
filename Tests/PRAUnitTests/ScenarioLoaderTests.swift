import Foundation
import PRACore
import Testing

@testable import PRADrill

// Tests of the scenario format (docs/scenarios.md): what valid documents load to, how invalid
// ones are rejected (file, line, key, message), how files are found, and that the shipped
// catalogue and the `pra drill new` template load. No PostgreSQL is needed.

/// The package root: this file is Tests/PRADrillTests/ScenarioLoaderTests.swift.
private let packageRoot: String = {
    var root = #filePath
    for _ in 0..<3 { root = (root as NSString).deletingLastPathComponent }
    return root
}()

private let scenariosDirectory = (packageRoot as NSString).appendingPathComponent("scenarios")

/// Parses an in-memory document as `t.yaml`.
private func load(_ text: String) throws(ScenarioError) -> Scenario {
    try ScenarioLoader().parse(text, file: "t.yaml")
}

/// The error an invalid document gives, or `nil` when it loads.
private func loadError(_ text: String) -> ScenarioError? {
    do {
        _ = try load(text)
        return nil
    } catch {
        return error
    }
}

/// The same scenario with every step's line set to 0, to compare values without line numbers.
private func withoutLines(_ scenario: Scenario) -> Scenario {
    var copy = scenario
    copy.steps = copy.steps.map { step in
        var step = step
        step.line = 0
        return step
    }
    return copy
}

/// A step using `kind` with only its required parameters (a choice takes its first word): a
/// fault step when the kind may be one, else injected into the first step kind it allows.
/// The scenario keys a kind needs besides its step (continuous archiving for WAL faults).
func minimalFaultHeader(_ kind: any FaultKind.Type) -> String {
    kind.needsArchiving ? "archiving: {archive_timeout: 1s}\n" : ""
}

func minimalFaultStep(_ kind: any FaultKind.Type) -> String {
    var mapping = "kind: \(kind.name)"
    for parameter in kind.parameters where parameter.defaultValue == nil {
        let first = parameter.accepted?.components(separatedBy: ", ").first ?? ""
        mapping += ", \(parameter.name): \(first)"
    }
    if kind.allowedSteps.contains(.fault) { return "  - fault: {\(mapping)}\n" }
    let step = kind.allowedSteps.first { $0.runsPra }?.rawValue ?? "backup"
    return "  - \(step): {}\n    inject: {\(mapping)}\n"
}

/// `name: t`, then the steps (already indented as list items).
private func document(_ steps: String, header: String = "") -> String {
    "name: t\n" + header + "steps:\n" + steps
}

/// A scenario named `t` from `t.yaml` with these steps and otherwise the defaults.
private func scenario(_ steps: [Step], heartbeatRate: Double? = nil) -> Scenario {
    Scenario(name: "t", file: "t.yaml", heartbeatRate: heartbeatRate, steps: steps)
}

private func expectations(_ fill: (inout Expectations) -> Void) -> Expectations {
    var expect = Expectations()
    fill(&expect)
    return expect
}

// MARK: - Valid documents

struct ScenarioLoaderValidCase: CustomTestStringConvertible, Sendable {
    let label: String
    let yaml: String
    let expected: Scenario

    var testDescription: String { label }
}

private let validCases: [ScenarioLoaderValidCase] = [
    ScenarioLoaderValidCase(
        label: "minimal document: defaults everywhere",
        yaml: document("  - backup: {}\n"),
        expected: scenario([Step(action: .backup)])),

    ScenarioLoaderValidCase(
        label: "every top-level key",
        yaml: """
            name: full.Scenario_1
            description: Every top-level key at once.
            tags: [nightly, rto]
            fixture: akig
            scale: 0.2
            targets:
              rpo: 15m
              rto: 1h30m
            workload:
              heartbeats_per_second: 20
            env:
              CRITICAL_TABLES: users,payments
              HEALTH_TIMEOUT: 5
            steps:
              - backup: {}
            """,
        expected: Scenario(
            name: "full.Scenario_1", description: "Every top-level key at once.", tags: ["nightly", "rto"], file: "t.yaml",
            fixture: "akig", scale: 0.2, rpoTarget: 900, rtoTarget: 5400, heartbeatRate: 20,
            environment: ["CRITICAL_TABLES": "users,payments", "HEALTH_TIMEOUT": "5"],
            steps: [Step(action: .backup)])),

    ScenarioLoaderValidCase(
        label: "tags as one word, targets in plain seconds, scale at its maximum",
        yaml: document("  - backup: {}\n", header: "tags: nightly\nscale: 1000\ntargets: {rpo: 3600, rto: 90s}\n"),
        expected: Scenario(name: "t", tags: ["nightly"], file: "t.yaml", scale: 1000, rpoTarget: 3600, rtoTarget: 90, steps: [Step(action: .backup)])),

    ScenarioLoaderValidCase(
        label: "empty action values: backup:, status: null, backup: {}",
        yaml: document("  - backup:\n  - status: null\n  - backup: {}\n"),
        expected: scenario([Step(action: .backup), Step(action: .status), Step(action: .backup)])),

    ScenarioLoaderValidCase(
        label: "verify: all archives and every selector",
        yaml: document("""
              - backup: {}
              - backup: {}
              - backup: {}
              - verify: {}
              - verify: {archive: all}
              - verify: {archive: newest}
              - verify: {archive: previous}
              - verify: {archive: oldest}
              - verify: {archive: 2}
            """),
        expected: scenario([
            Step(action: .backup), Step(action: .backup), Step(action: .backup),
            Step(action: .verify(archive: nil)), Step(action: .verify(archive: nil)),
            Step(action: .verify(archive: .newest)), Step(action: .verify(archive: .previous)),
            Step(action: .verify(archive: .oldest)), Step(action: .verify(archive: .index(2))),
        ])),

    ScenarioLoaderValidCase(
        label: "restore: latest, selectors, target_db and force",
        yaml: document("""
              - backup: {}
              - backup: {}
              - restore: {}
              - restore: {archive: latest}
              - restore: {archive: previous, target_db: akig_old, force: true}
              - restore: {archive: 0, force: yes}
              - restore: {archive: oldest, force: false}
            """),
        expected: scenario([
            Step(action: .backup), Step(action: .backup),
            Step(action: .restore(archive: nil, targetDatabase: nil, force: false)),
            Step(action: .restore(archive: nil, targetDatabase: nil, force: false)),
            Step(action: .restore(archive: .previous, targetDatabase: "akig_old", force: true)),
            Step(action: .restore(archive: .index(0), targetDatabase: nil, force: true)),
            Step(action: .restore(archive: .oldest, targetDatabase: nil, force: false)),
        ])),

    ScenarioLoaderValidCase(
        label: "wait: durations in every unit",
        yaml: document("""
              - wait: 2s
              - wait: 0.5s
              - wait: 1m30s
              - wait: 1h
              - wait: 3
              - wait: 1d
            """),
        expected: scenario([
            Step(action: .wait(seconds: 2)), Step(action: .wait(seconds: 0.5)), Step(action: .wait(seconds: 90)),
            Step(action: .wait(seconds: 3600)), Step(action: .wait(seconds: 3)), Step(action: .wait(seconds: 86400)),
        ])),

    ScenarioLoaderValidCase(
        label: "disasters: every kind, short and mapping forms",
        yaml: document("""
              - backup: {}
              - disaster: drop-database
              - disaster: wipe-data-directory
              - disaster: lose-cluster
              - disaster: {kind: lose-cluster}
            """),
        expected: scenario([
            Step(action: .backup), Step(action: .disaster(.dropDatabase)), Step(action: .disaster(.wipeDataDirectory)),
            Step(action: .disaster(.loseCluster)), Step(action: .disaster(.loseCluster)),
        ])),

    ScenarioLoaderValidCase(
        label: "fault steps: server faults",
        yaml: document("""
              - fault: {kind: crash-server}
              - fault: {kind: start-server}
              - fault: {kind: stop-server}
              - fault:
                  kind: start-server
            """),
        expected: scenario([
            Step(action: .fault(Fault(CrashServerFault()))), Step(action: .fault(Fault(StartServerFault()))),
            Step(action: .fault(Fault(StopServerFault()))), Step(action: .fault(Fault(StartServerFault()))),
        ])),

    ScenarioLoaderValidCase(
        label: "corrupt-archive: every mode with its defaults (newest archive)",
        yaml: document("""
              - backup: {}
              - fault: {kind: corrupt-archive, mode: bit-flips}
              - fault: {kind: corrupt-archive, mode: truncate}
              - fault: {kind: corrupt-archive, mode: zero-block}
              - fault: {kind: corrupt-archive, mode: append-garbage}
              - fault: {kind: corrupt-archive, mode: delete-manifest}
              - fault: {kind: corrupt-archive, mode: alter-manifest}
            """),
        expected: scenario([
            Step(action: .backup),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .bitFlips(count: 1, seed: 1), archive: .newest)))),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .truncate(fraction: 0.5), archive: .newest)))),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .zeroBlock(fraction: 0.5, length: 4096), archive: .newest)))),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .appendGarbage(bytes: 64), archive: .newest)))),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .deleteManifest, archive: .newest)))),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .alterManifest, archive: .newest)))),
        ])),

    ScenarioLoaderValidCase(
        label: "corrupt-archive: explicit parameters and archives",
        yaml: document("""
              - backup: {}
              - backup: {}
              - fault: {kind: corrupt-archive, mode: bit-flips, count: 8, seed: 42, archive: previous}
              - fault: {kind: corrupt-archive, mode: truncate, fraction: 0, archive: oldest}
              - fault: {kind: corrupt-archive, mode: zero-block, fraction: 0.25, length: 512, archive: 1}
              - fault: {kind: corrupt-archive, mode: append-garbage, bytes: 10, archive: newest}
            """),
        expected: scenario([
            Step(action: .backup), Step(action: .backup),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .bitFlips(count: 8, seed: 42), archive: .previous)))),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .truncate(fraction: 0), archive: .oldest)))),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .zeroBlock(fraction: 0.25, length: 512), archive: .index(1))))),
            Step(action: .fault(Fault(CorruptArchiveFault(corruption: .appendGarbage(bytes: 10), archive: .newest)))),
        ])),

    ScenarioLoaderValidCase(
        label: "inject: before, after and after_bytes; disk-full default free is 64KiB",
        yaml: document("""
              - backup: {}
                inject: {kind: kill-connections, after_bytes: 256KiB}
              - backup: {}
                inject: {kind: disk-full}
              - backup: {}
                inject: {kind: disk-full, free: 1MiB, after_bytes: 65536}
              - backup: {}
                inject: {kind: kill-connections}
              - restore: {}
                inject: {kind: kill-connections, after: 2s}
              - verify: {}
                inject: {kind: stop-server, after: 0.5s}
              - status: {}
                inject: {kind: crash-server}
              - restore: {archive: previous}
                inject: {kind: corrupt-archive, mode: truncate, fraction: 0.1, archive: newest}
            """),
        expected: scenario([
            Step(action: .backup, fault: TimedFault(fault: Fault(KillConnectionsFault()), trigger: .afterBytes(256 * 1024))),
            Step(action: .backup, fault: TimedFault(fault: Fault(DiskFullFault(freeBytes: 64 * 1024)), trigger: .before)),
            Step(action: .backup, fault: TimedFault(fault: Fault(DiskFullFault(freeBytes: 1024 * 1024)), trigger: .afterBytes(65536))),
            Step(action: .backup, fault: TimedFault(fault: Fault(KillConnectionsFault()), trigger: .before)),
            Step(action: .restore(archive: nil, targetDatabase: nil, force: false), fault: TimedFault(fault: Fault(KillConnectionsFault()), trigger: .afterSeconds(2))),
            Step(action: .verify(archive: nil), fault: TimedFault(fault: Fault(StopServerFault()), trigger: .afterSeconds(0.5))),
            Step(action: .status, fault: TimedFault(fault: Fault(CrashServerFault()), trigger: .before)),
            Step(action: .restore(archive: .previous, targetDatabase: nil, force: false), fault: TimedFault(fault: Fault(CorruptArchiveFault(corruption: .truncate(fraction: 0.1), archive: .newest)), trigger: .before)),
        ])),

    ScenarioLoaderValidCase(
        label: "expect: every key a backup, verify and status step takes",
        yaml: document("""
              - backup: {}
                expect:
                  outcome: success
                  archive: complete
              - backup: {}
                expect:
                  outcome: failure
                  exit_code: 1
                  message_contains: No space left
                  archive: absent
                  earlier_backups: untouched
              - verify: {}
                expect: {exit_code: 0, earlier_backups: untouched, message_contains: [valid, checksum]}
              - status: {}
                expect: {status: critical, exit_code: 1}
              - status: {}
                expect: {status: WARNING, outcome: failure}
            """),
        expected: scenario([
            Step(action: .backup, expect: expectations { $0.outcome = .success; $0.archive = .complete }),
            Step(action: .backup, expect: expectations {
                $0.outcome = .failure
                $0.exitCode = 1
                $0.messageContains = ["No space left"]
                $0.archive = .absent
                $0.earlierBackupsUntouched = true
            }),
            Step(action: .verify(archive: nil), expect: expectations { $0.exitCode = 0; $0.earlierBackupsUntouched = true; $0.messageContains = ["valid", "checksum"] }),
            Step(action: .status, expect: expectations { $0.statusLevel = "CRITICAL"; $0.exitCode = 1 }),
            Step(action: .status, expect: expectations { $0.statusLevel = "WARNING"; $0.outcome = .failure }),
        ])),

    ScenarioLoaderValidCase(
        label: "expect: every key a restore takes, after a disaster with a workload",
        yaml: document("""
              - backup: {}
              - backup: {}
              - disaster: drop-database
              - restore: {}
                expect:
                  outcome: success
                  rows_match_manifest: true
                  used_backup: previous
                  rto_max: 5m
                  rpo_max: 1h
                  rpo_min: 2s
                  earlier_backups: untouched
            """, header: "workload: {heartbeats_per_second: 0.5}\n"),
        expected: scenario([
            Step(action: .backup), Step(action: .backup), Step(action: .disaster(.dropDatabase)),
            Step(action: .restore(archive: nil, targetDatabase: nil, force: false), expect: expectations {
                $0.outcome = .success
                $0.rowsMatchManifest = true
                $0.usedBackup = .previous
                $0.rtoMax = 300
                $0.rpoMax = 3600
                $0.rpoMin = 2
                $0.earlierBackupsUntouched = true
            }),
        ], heartbeatRate: 0.5)),

    ScenarioLoaderValidCase(
        label: "rto_max needs a disaster but no workload",
        yaml: document("""
              - backup: {}
              - disaster: wipe-data-directory
              - restore: {}
                expect: {rto_max: 10m, rows_match_manifest: false}
            """),
        expected: scenario([
            Step(action: .backup), Step(action: .disaster(.wipeDataDirectory)),
            Step(action: .restore(archive: nil, targetDatabase: nil, force: false), expect: expectations { $0.rtoMax = 600; $0.rowsMatchManifest = false }),
        ])),

    ScenarioLoaderValidCase(
        label: "step env on pra steps",
        yaml: document("""
              - backup: {}
                env: {PRA_PREFIX: drill}
              - restore: {}
              - status: {}
                env:
                  PGDATABASE: akig_restore
                  RPO_TARGET: 2h
            """),
        expected: scenario([
            Step(action: .backup, environment: ["PRA_PREFIX": "drill"]),
            Step(action: .restore(archive: nil, targetDatabase: nil, force: false)),
            Step(action: .status, environment: ["PGDATABASE": "akig_restore", "RPO_TARGET": "2h"]),
        ])),
]

@Suite("ScenarioLoaderTests")
struct ScenarioLoaderTests {
    @Test("valid documents load to the expected scenario", arguments: validCases)
    func validDocument(_ testCase: ScenarioLoaderValidCase) throws {
        let loaded = try load(testCase.yaml)
        #expect(withoutLines(loaded) == testCase.expected)
    }

    @Test("steps remember their line")
    func stepLines() throws {
        let loaded = try load("""
            # a comment
            name: t
            steps:
              - backup: {}

              - wait: 1s
              -   disaster: drop-database
              - restore:
                  archive: newest
            """)
        #expect(loaded.steps.map(\.line) == [4, 6, 7, 8])
        #expect(loaded.file == "t.yaml")
    }

    @Test("--seed replaces the seed of every bit-flips corruption, and nothing else")
    func bitFlipSeed() throws {
        let loaded = try load(document("""
              - backup: {}
              - fault: {kind: corrupt-archive, mode: bit-flips, count: 3, seed: 7}
              - fault: {kind: corrupt-archive, mode: truncate}
              - verify: {}
                inject: {kind: corrupt-archive, mode: bit-flips, archive: oldest, after: 1s}
            """)).withBitFlipSeed(99)
        #expect(loaded.steps[1].action == .fault(Fault(CorruptArchiveFault(corruption: .bitFlips(count: 3, seed: 99), archive: .newest))))
        #expect(loaded.steps[2].action == .fault(Fault(CorruptArchiveFault(corruption: .truncate(fraction: 0.5), archive: .newest))))
        #expect(loaded.steps[3].fault == TimedFault(fault: Fault(CorruptArchiveFault(corruption: .bitFlips(count: 1, seed: 99), archive: .oldest)), trigger: .afterSeconds(1)))
    }

    @Test("every fault kind and every disaster kind the model names is accepted")
    func everyKindAccepted() throws {
        for kind in FaultRegistry.all {
            let yaml = document("  - backup: {}\n" + minimalFaultStep(kind), header: minimalFaultHeader(kind))
            let last = try #require(try load(yaml).steps.last)
            var loadedKind = last.fault?.fault.kind
            if let step = last.action.implementation as? FaultStep { loadedKind = step.fault.kind }
            #expect(loadedKind == kind.name)
        }
        for kind in DisasterKind.allCases {
            #expect(try load(document("  - backup: {}\n  - disaster: \(kind.rawValue)\n", header: "env: {CRITICAL_TABLES: receipts}\n")).steps[1].action == .disaster(kind))
        }
    }

    @Test("durations and sizes", arguments: [
        ("0.5s", 0.5), ("30s", 30), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("2d", 172_800), ("45", 45), ("1.5m", 90),
        ("500ms", 0.5), ("250MS", 0.25), ("1s500ms", 1.5), ("2m30s", 150),
    ])
    func durations(_ text: String, _ seconds: Double) {
        #expect(DurationParser.seconds(text) == seconds)
    }

    @Test("durations print so that a small bound stays readable: ms under a tenth of a second", arguments: [
        (0.001, "1ms"), (0.05, "50ms"), (0.0004, "0.40ms"), (0.5, "0.5s"), (0, "0.0s"), (42, "42s"),
    ])
    func durationFormat(_ seconds: Double, _ text: String) {
        #expect(DurationParser.format(seconds) == text)
    }

    @Test("sizes are powers of 1024", arguments: [
        ("65536", UInt64(65536)), ("64k", 65536), ("64KiB", 65536), ("64kb", 65536), ("1m", 1_048_576), ("1MiB", 1_048_576),
        ("2.5G", 2_684_354_560), ("10GB", 10_737_418_240), ("1 TiB", 1_099_511_627_776), ("100b", 100),
    ])
    func sizes(_ text: String, _ bytes: UInt64) {
        #expect(ByteSizeParser.bytes(text) == bytes)
    }

    @Test("not durations, not sizes")
    func badDurationsAndSizes() {
        for text in ["", "soon", "-5", "5x", "1.2.3s", "s", "ms", "5sm"] {
            #expect(DurationParser.seconds(text) == nil, "duration \(text)")
        }
        for text in ["", "big", "-1", "1e3", "64 KiBs", "1PB"] {
            #expect(ByteSizeParser.bytes(text) == nil, "size \(text)")
        }
    }
}

// MARK: - Invalid documents

struct ScenarioLoaderInvalidCase: CustomTestStringConvertible, Sendable {
    let label: String
    let yaml: String
    let line: Int?
    let key: String
    let fragment: String

    var testDescription: String { label }
}

private let invalidCases: [ScenarioLoaderInvalidCase] = [
    // Keys and types.
    ScenarioLoaderInvalidCase(label: "unknown top-level key", yaml: "name: t\nowner: me\nsteps:\n  - backup: {}\n", line: 2, key: "owner", fragment: "unknown key (allowed here: name, description"),
    ScenarioLoaderInvalidCase(label: "unknown step key", yaml: document("  - backup: {}\n    retry: 3\n"), line: 4, key: "steps[1].retry", fragment: "unknown key"),
    ScenarioLoaderInvalidCase(label: "unknown key in an action", yaml: document("  - backup: {full: true}\n"), line: 3, key: "steps[1].backup.full", fragment: "unknown key"),
    ScenarioLoaderInvalidCase(label: "unknown key in targets", yaml: document("  - backup: {}\n", header: "targets:\n  rpo: 1h\n  mttr: 5m\n"), line: 4, key: "targets.mttr", fragment: "allowed here: rpo, rto"),
    ScenarioLoaderInvalidCase(label: "wrong type: text where a number goes", yaml: "name: t\nscale: large\nsteps:\n  - backup: {}\n", line: 2, key: "scale", fragment: "must be a number"),
    ScenarioLoaderInvalidCase(label: "wrong type: text where a rate goes", yaml: document("  - backup: {}\n", header: "workload:\n  heartbeats_per_second: fast\n"), line: 3, key: "workload.heartbeats_per_second", fragment: "must be a number"),
    ScenarioLoaderInvalidCase(label: "wrong type: list where text goes", yaml: "name: [a, b]\nsteps:\n  - backup: {}\n", line: 1, key: "name", fragment: "must be a text value"),
    ScenarioLoaderInvalidCase(label: "wrong type: text where a whole number goes", yaml: document("  - backup: {}\n    expect: {exit_code: one}\n"), line: 4, key: "steps[1].expect.exit_code", fragment: "must be a whole number"),
    ScenarioLoaderInvalidCase(label: "wrong type: number where a corruption count goes", yaml: document("  - backup: {}\n  - fault: {kind: corrupt-archive, mode: bit-flips, count: many}\n"), line: 4, key: "steps[2].fault.count", fragment: "must be a whole number"),
    ScenarioLoaderInvalidCase(label: "wrong type: not a boolean", yaml: document("  - backup: {}\n  - restore: {force: maybe}\n"), line: 4, key: "steps[2].restore.force", fragment: "must be true or false"),
    ScenarioLoaderInvalidCase(label: "wrong type: steps is not a list", yaml: "name: t\nsteps: backup\n", line: 2, key: "steps", fragment: "non-empty list"),
    ScenarioLoaderInvalidCase(label: "empty step list", yaml: "name: t\nsteps: []\n", line: 2, key: "steps", fragment: "non-empty list"),
    ScenarioLoaderInvalidCase(label: "a step that is not a mapping", yaml: document("  - backup\n"), line: 3, key: "steps[1]", fragment: "must be a mapping"),
    ScenarioLoaderInvalidCase(label: "env that is not a mapping", yaml: document("  - backup: {}\n", header: "env: [A, B]\n"), line: 2, key: "env", fragment: "mapping of NAME: value"),
    ScenarioLoaderInvalidCase(label: "missing name", yaml: "steps:\n  - backup: {}\n", line: 1, key: "name", fragment: "required key is missing"),
    ScenarioLoaderInvalidCase(label: "missing steps", yaml: "name: t\n", line: 1, key: "steps", fragment: "required key is missing"),
    ScenarioLoaderInvalidCase(label: "workload without its rate", yaml: document("  - backup: {}\n", header: "workload: {rate: 5}\n"), line: 2, key: "workload.rate", fragment: "unknown key"),
    ScenarioLoaderInvalidCase(label: "bad duration", yaml: document("  - wait: soon\n"), line: 3, key: "steps[1].wait", fragment: "\"soon\" is not a duration"),
    ScenarioLoaderInvalidCase(label: "bad target duration", yaml: document("  - backup: {}\n", header: "targets: {rto: half an hour}\n"), line: 2, key: "targets.rto", fragment: "is not a duration"),
    ScenarioLoaderInvalidCase(label: "bad size", yaml: document("  - backup: {}\n    inject: {kind: disk-full, free: lots}\n"), line: 4, key: "steps[1].inject.free", fragment: "\"lots\" is not a size"),
    ScenarioLoaderInvalidCase(label: "bad archive selector", yaml: document("  - backup: {}\n  - verify: {archive: last}\n"), line: 4, key: "steps[2].verify.archive", fragment: "\"last\" is not an archive"),
    ScenarioLoaderInvalidCase(label: "negative archive index", yaml: document("  - backup: {}\n  - restore: {archive: -1}\n"), line: 4, key: "steps[2].restore.archive", fragment: "is not an archive"),
    ScenarioLoaderInvalidCase(label: "bad outcome", yaml: document("  - backup: {}\n    expect: {outcome: ok}\n"), line: 4, key: "steps[1].expect.outcome", fragment: "success or failure"),
    ScenarioLoaderInvalidCase(label: "bad archive state", yaml: document("  - backup: {}\n    expect: {archive: partial}\n"), line: 4, key: "steps[1].expect.archive", fragment: "complete or absent"),
    ScenarioLoaderInvalidCase(label: "bad earlier_backups", yaml: document("  - backup: {}\n    expect: {earlier_backups: kept}\n"), line: 4, key: "steps[1].expect.earlier_backups", fragment: "untouched"),
    ScenarioLoaderInvalidCase(label: "bad status level", yaml: document("  - status: {}\n    expect: {status: UNKNOWN}\n"), line: 4, key: "steps[1].expect.status", fragment: "OK, WARNING or CRITICAL"),

    // Names and ranges.
    ScenarioLoaderInvalidCase(label: "bad name characters", yaml: "name: my drill!\nsteps:\n  - backup: {}\n", line: 1, key: "name", fragment: "letters, digits"),
    ScenarioLoaderInvalidCase(label: "name starting with a dot", yaml: "name: .hidden\nsteps:\n  - backup: {}\n", line: 1, key: "name", fragment: "letters, digits"),
    ScenarioLoaderInvalidCase(label: "scale zero", yaml: "name: t\nscale: 0\nsteps:\n  - backup: {}\n", line: 2, key: "scale", fragment: "(0, 1000]"),
    ScenarioLoaderInvalidCase(label: "scale above 1000", yaml: "name: t\nscale: 1001\nsteps:\n  - backup: {}\n", line: 2, key: "scale", fragment: "(0, 1000]"),
    ScenarioLoaderInvalidCase(label: "heartbeat rate out of range", yaml: document("  - backup: {}\n", header: "workload: {heartbeats_per_second: 0}\n"), line: 2, key: "workload.heartbeats_per_second", fragment: "(0, 1000]"),
    ScenarioLoaderInvalidCase(label: "truncate fraction out of range", yaml: document("  - backup: {}\n  - fault: {kind: corrupt-archive, mode: truncate, fraction: 1}\n"), line: 4, key: "steps[2].fault.fraction", fragment: "[0, 1)"),

    // Kinds.
    ScenarioLoaderInvalidCase(label: "unknown fault kind", yaml: document("  - backup: {}\n  - fault:\n      kind: flood\n"), line: 5, key: "steps[2].fault.kind", fragment: "unknown fault kind \"flood\" (known: kill-connections, disk-full"),
    ScenarioLoaderInvalidCase(label: "unknown injected fault kind", yaml: document("  - backup: {}\n    inject: {kind: slow-disk}\n"), line: 4, key: "steps[1].inject.kind", fragment: "unknown fault kind \"slow-disk\""),
    ScenarioLoaderInvalidCase(label: "fault without a kind", yaml: document("  - fault: {mode: truncate}\n"), line: 3, key: "steps[1].fault.kind", fragment: "required key is missing"),
    ScenarioLoaderInvalidCase(label: "unknown disaster", yaml: document("  - backup: {}\n  - disaster: meteor\n"), line: 4, key: "steps[2].disaster", fragment: "unknown disaster \"meteor\" (known: drop-database, wipe-data-directory, lose-cluster, lose-site, bad-transaction)"),
    ScenarioLoaderInvalidCase(label: "unknown disaster, mapping form", yaml: document("  - backup: {}\n  - disaster: {kind: flood}\n"), line: 4, key: "steps[2].disaster", fragment: "unknown disaster \"flood\""),
    ScenarioLoaderInvalidCase(label: "unknown corruption mode", yaml: document("  - backup: {}\n  - fault: {kind: corrupt-archive, mode: shred}\n"), line: 4, key: "steps[2].fault.mode", fragment: "unknown corruption mode \"shred\""),
    ScenarioLoaderInvalidCase(label: "corrupt-archive without a mode", yaml: document("  - backup: {}\n  - fault: {kind: corrupt-archive}\n"), line: 4, key: "steps[2].fault.mode", fragment: "required key is missing"),
    ScenarioLoaderInvalidCase(label: "parameter of another fault kind", yaml: document("  - backup: {}\n    inject: {kind: kill-connections, free: 1MiB}\n"), line: 4, key: "steps[1].inject.free", fragment: "not a parameter of kill-connections (it takes none)"),
    ScenarioLoaderInvalidCase(label: "disk-full with a corruption parameter", yaml: document("  - backup: {}\n    inject: {kind: disk-full, mode: truncate}\n"), line: 4, key: "steps[1].inject.mode", fragment: "it takes: free"),

    // Step shape.
    ScenarioLoaderInvalidCase(label: "two actions in one step", yaml: document("  - backup: {}\n    status: {}\n"), line: 3, key: "steps[1]", fragment: "exactly one action, found backup and status"),
    ScenarioLoaderInvalidCase(label: "no action", yaml: document("  - expect: {outcome: success}\n"), line: 3, key: "steps[1]", fragment: "a step needs one action"),
    ScenarioLoaderInvalidCase(label: "expectation not allowed on backup", yaml: document("  - backup: {}\n    expect: {status: OK}\n"), line: 4, key: "steps[1].expect.status", fragment: "unknown key (allowed here: outcome, exit_code, message_contains, seconds_max, archive, earlier_backups)"),
    ScenarioLoaderInvalidCase(label: "expectation not allowed on status", yaml: document("  - backup: {}\n  - status: {}\n    expect:\n      rows_match_manifest: true\n"), line: 6, key: "steps[2].expect.rows_match_manifest", fragment: "unknown key"),
    ScenarioLoaderInvalidCase(label: "archive expectation on a restore", yaml: document("  - backup: {}\n  - restore: {}\n    expect: {archive: complete}\n"), line: 5, key: "steps[2].expect.archive", fragment: "unknown key"),
    ScenarioLoaderInvalidCase(label: "expectations on a wait step", yaml: document("  - wait: 1s\n    expect: {outcome: success}\n"), line: 4, key: "steps[1].expect", fragment: "wait steps take no expectations"),
    ScenarioLoaderInvalidCase(label: "expectations on a disaster step", yaml: document("  - backup: {}\n  - disaster: drop-database\n    expect: {outcome: success}\n"), line: 5, key: "steps[2].expect", fragment: "disaster steps take no expectations"),
    ScenarioLoaderInvalidCase(label: "inject on a wait step", yaml: document("  - wait: 1s\n    inject: {kind: crash-server}\n"), line: 4, key: "steps[1].inject", fragment: "backup, verify, restore, status, standby and activate steps only"),
    ScenarioLoaderInvalidCase(label: "inject on a fault step", yaml: document("  - fault: {kind: crash-server}\n    inject: {kind: start-server}\n"), line: 4, key: "steps[1].inject", fragment: "use a fault step here"),
    ScenarioLoaderInvalidCase(label: "env on a wait step", yaml: document("  - wait: 1s\n    env: {A: b}\n"), line: 4, key: "steps[1].env", fragment: "only steps that run pra take env"),
    ScenarioLoaderInvalidCase(label: "after and after_bytes together", yaml: document("  - backup: {}\n    inject: {kind: kill-connections, after: 1s, after_bytes: 1MiB}\n"), line: 4, key: "steps[1].inject", fragment: "after or after_bytes, not both"),

    // Step order (StepOrderValidator): these report the step's line and key.
    ScenarioLoaderInvalidCase(label: "kill-connections as a fault step", yaml: document("  - backup: {}\n  - fault: {kind: kill-connections}\n"), line: 4, key: "steps[2]", fragment: "kill-connections acts on a running step"),
    ScenarioLoaderInvalidCase(label: "disk-full as a fault step", yaml: document("  - fault: {kind: disk-full}\n"), line: 3, key: "steps[1]", fragment: "disk-full acts on a running step"),
    ScenarioLoaderInvalidCase(label: "kill-connections injected into verify", yaml: document("  - backup: {}\n  - verify: {}\n    inject: {kind: kill-connections}\n"), line: 4, key: "steps[2]", fragment: "kill-connections can be injected into backup and restore steps only"),
    ScenarioLoaderInvalidCase(label: "disk-full injected into restore", yaml: document("  - backup: {}\n  - restore: {}\n    inject: {kind: disk-full}\n"), line: 4, key: "steps[2]", fragment: "disk-full can be injected into backup steps only"),
    ScenarioLoaderInvalidCase(label: "after_bytes on a restore", yaml: document("  - backup: {}\n  - restore: {}\n    inject: {kind: kill-connections, after_bytes: 1MiB}\n"), line: 4, key: "steps[2]", fragment: "after_bytes counts the archive a backup writes"),
    ScenarioLoaderInvalidCase(label: "after_bytes on a status step", yaml: document("  - status: {}\n    inject: {kind: crash-server, after_bytes: 1}\n"), line: 3, key: "steps[1]", fragment: "use after: DURATION for status steps"),
    ScenarioLoaderInvalidCase(label: "restore before any backup", yaml: document("  - restore: {}\n  - backup: {}\n"), line: 3, key: "steps[1]", fragment: "restore refers to the newest archive, but only 0 full backup step(s) (backup: {}) come before it"),
    ScenarioLoaderInvalidCase(label: "verify --all before any backup", yaml: document("  - verify: {}\n"), line: 3, key: "steps[1]", fragment: "verify refers to the archives, but no backup step comes before it"),
    ScenarioLoaderInvalidCase(label: "corrupt-archive before any backup", yaml: document("  - wait: 1s\n  - fault: {kind: corrupt-archive, mode: truncate}\n"), line: 4, key: "steps[2]", fragment: "corrupt-archive refers to the newest archive, but only 0"),
    ScenarioLoaderInvalidCase(label: "injected corrupt-archive before any backup", yaml: document("  - status: {}\n    inject: {kind: corrupt-archive, mode: alter-manifest}\n"), line: 3, key: "steps[1]", fragment: "corrupt-archive refers to the newest archive, but only 0"),
    ScenarioLoaderInvalidCase(label: "previous with only one backup before", yaml: document("  - backup: {}\n  - restore: {archive: previous}\n"), line: 4, key: "steps[2]", fragment: "restore refers to the previous archive, but only 1 full backup step(s)"),
    ScenarioLoaderInvalidCase(label: "archive index beyond the backups", yaml: document("  - backup: {}\n  - backup: {}\n  - verify: {archive: 2}\n"), line: 5, key: "steps[3]", fragment: "verify refers to the #2 archive, but only 2"),
    ScenarioLoaderInvalidCase(label: "used_backup previous with one backup", yaml: document("  - backup: {}\n  - restore: {}\n    expect: {used_backup: previous}\n"), line: 4, key: "steps[2]", fragment: "expect.used_backup refers to the previous archive"),
    ScenarioLoaderInvalidCase(label: "rto_max without a disaster", yaml: document("  - backup: {}\n  - restore: {}\n    expect: {rto_max: 5m}\n"), line: 4, key: "steps[2]", fragment: "need a disaster step before this restore"),
    ScenarioLoaderInvalidCase(label: "rpo_min with the disaster after the restore", yaml: document("  - backup: {}\n  - restore: {}\n    expect: {rpo_min: 1s}\n  - disaster: drop-database\n", header: "workload: {heartbeats_per_second: 5}\n"), line: 5, key: "steps[2]", fragment: "need a disaster step"),
    ScenarioLoaderInvalidCase(label: "rpo_max without a workload", yaml: document("  - backup: {}\n  - disaster: drop-database\n  - restore: {}\n    expect: {rpo_max: 30s}\n"), line: 5, key: "steps[3]", fragment: "need a workload"),
    ScenarioLoaderInvalidCase(label: "disaster before any backup", yaml: document("  - wait: 1s\n  - disaster: lose-cluster\n  - backup: {}\n"), line: 4, key: "steps[2]", fragment: "a disaster before any backup step leaves nothing to recover from"),

    // The document itself.
    ScenarioLoaderInvalidCase(label: "invalid YAML syntax", yaml: "name: t\nsteps:\n  - backup: {}\n  - wait: [1s\n", line: 5, key: "", fragment: "not valid YAML"),
    ScenarioLoaderInvalidCase(label: "bad indentation", yaml: "name: t\nsteps:\n  - backup: {}\n expect: {}\n", line: 4, key: "", fragment: "not valid YAML"),
    ScenarioLoaderInvalidCase(label: "empty file", yaml: "", line: 1, key: "", fragment: "the file is empty"),
    ScenarioLoaderInvalidCase(label: "only comments", yaml: "# nothing here\n", line: 1, key: "", fragment: "the file is empty"),
    ScenarioLoaderInvalidCase(label: "a list instead of a mapping", yaml: "- backup: {}\n", line: 1, key: "(document)", fragment: "must be a mapping"),
]

extension ScenarioLoaderTests {
    @Suite("invalid documents")
    struct Invalid {
        @Test("invalid documents name the line, the key and the problem", arguments: invalidCases)
        func invalidDocument(_ testCase: ScenarioLoaderInvalidCase) throws {
            let error = try #require(loadError(testCase.yaml), "loaded although invalid")
            #expect(error.file == "t.yaml")
            #expect(error.line == testCase.line, "\(error)")
            #expect(error.key == testCase.key, "\(error)")
            #expect(error.message.contains(testCase.fragment), "\(error)")
            // The one-line message an operator sees: file:line: key: message.
            let location = testCase.line.map { "t.yaml:\($0)" } ?? "t.yaml"
            #expect(error.description.hasPrefix(testCase.key.isEmpty ? "\(location): " : "\(location): \(testCase.key): "))
        }

        @Test("the error description is file:line: key: message")
        func errorDescription() {
            #expect(ScenarioError(file: "s.yaml", line: 7, key: "steps[2].inject.kind", message: "unknown").description == "s.yaml:7: steps[2].inject.kind: unknown")
            #expect(ScenarioError(file: "s.yaml", line: nil, key: "", message: "cannot read the file").description == "s.yaml: cannot read the file")
        }

        @Test("a file that cannot be read")
        func unreadableFile() {
            let path = "/nonexistent-\(UUID().uuidString)/x.yaml"
            #expect(throws: ScenarioError(file: path, line: nil, key: "", message: "cannot read the file")) {
                try ScenarioLoader().load(file: path)
            }
        }
    }
}

// MARK: - Problems found and fixed (kept as regression tests)

extension ScenarioLoaderTests {
    @Suite("loader regressions")
    struct Regressions {
        /// A corrupt-archive injected into the very first backup has no complete archive to act on.
        @Test("corrupt-archive injected into the first backup step is rejected")
        func corruptArchiveIntoFirstBackup() {
            let error = loadError(document("  - backup: {}\n    inject: {kind: corrupt-archive, mode: truncate}\n"))
            #expect(error?.key == "steps[1]")
            #expect(error?.message.contains("corrupt-archive refers to the newest archive, but only 0") == true)
        }

        @Test("a key given twice names its line and key")
        func duplicateKey() throws {
            let yaml = "name: t\nname: u\nsteps:\n  - backup: {}\n"
            let error = try #require(loadError(yaml))
            #expect(!error.message.contains("steps:\n"), "the whole document should not be in the message")
            #expect(error.line == 2)
            #expect(error.key == "name")
            #expect(error.message.contains("given twice"))
        }

        @Test("out-of-range numbers are rejected with the key, not a crash", arguments: [
            ("  - backup: {}\n  - fault: {kind: corrupt-archive, mode: bit-flips, seed: -1}\n", "seed"),
            ("  - backup: {}\n    expect: {exit_code: 4294967296}\n", "exit_code"),
            ("  - backup: {}\n  - fault: {kind: corrupt-archive, mode: bit-flips, count: -3}\n", "count"),
            ("  - backup: {}\n  - fault: {kind: corrupt-archive, mode: zero-block, fraction: -0.5}\n", "fraction"),
            ("  - backup: {}\n  - fault: {kind: corrupt-archive, mode: append-garbage, bytes: 0}\n", "bytes"),
            ("  - backup: {}\n  - fault: {kind: corrupt-archive, mode: truncate, count: 2}\n", "count"),
            ("  - backup: {}\n  - wait: inf\n", "wait"),
            ("  - backup: {}\n  - wait: 30d\n", "wait"),
            ("  - backup: {}\n    inject: {kind: disk-full, free: 99999TiB}\n", "free"),
        ])
        func outOfRange(steps: String, key: String) {
            let error = loadError(document(steps))
            #expect(error != nil, "accepted: \(steps)")
            #expect(error?.key.hasSuffix(key) == true, "\(String(describing: error))")
        }
    }
}

// MARK: - Files, the catalogue and the template

extension ScenarioLoaderTests {
    @Suite("files")
    struct Files {
        /// A fresh directory under the temporary directory, removed by the caller.
        private func temporaryDirectory() throws -> String {
            let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("pra-loader-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }

        private func write(_ text: String, to path: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }

        @Test("a directory lists its *.yaml and *.yml files, sorted; files are taken as given")
        func filesInDirectory() throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            for name in ["b.yaml", "a.yaml", "c.yml", "notes.txt", "d.yaml.bak", "README.md"] {
                try write("name: x\n", to: directory + "/" + name)
            }
            let files = try ScenarioLoader.files(in: [directory])
            #expect(files == ["a.yaml", "b.yaml", "c.yml"].map { directory + "/" + $0 })
            #expect(try ScenarioLoader.files(in: [directory + "/notes.txt", directory]).first == directory + "/notes.txt")
        }

        @Test("a missing path is rejected")
        func missingPath() {
            let path = "/nonexistent-\(UUID().uuidString)"
            #expect(throws: ScenarioError(file: path, line: nil, key: "", message: "no such file or directory")) {
                try ScenarioLoader.files(in: [path])
            }
        }

        @Test("load(file:) names the file in its errors")
        func loadFileErrors() throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/bad.yaml"
            try write("name: bad\nsteps:\n  - backup: {}\n  - fault: {kind: flood}\n", to: path)
            let error = try #require(throws: ScenarioError.self) { try ScenarioLoader().load(file: path) }
            #expect(error.file == path)
            #expect(error.description.hasPrefix("\(path):4: steps[2].fault.kind: unknown fault kind"))
        }

        @Test("DrillRunner.load rejects two scenarios with the same name")
        func duplicateNames() throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try write("name: same\nsteps:\n  - backup: {}\n", to: directory + "/a.yaml")
            try write("name: same\nsteps:\n  - status: {}\n", to: directory + "/b.yaml")
            let error = try #require(throws: ScenarioError.self) { try DrillRunner.load(paths: [directory]) }
            #expect(error.file == directory + "/b.yaml")
            #expect(error.key == "name")
            #expect(error.message.contains("\"same\" is also the name of \(directory)/a.yaml"))
            #expect(error.message.contains("names must be unique"))
        }

        @Test("DrillRunner.load: --only picks scenarios by name and rejects unknown names")
        func onlyNames() throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try write("name: one\nsteps:\n  - backup: {}\n", to: directory + "/1.yaml")
            try write("name: two\nsteps:\n  - backup: {}\n", to: directory + "/2.yaml")
            #expect(try DrillRunner.load(paths: [directory]).map(\.name) == ["one", "two"])
            #expect(try DrillRunner.load(paths: [directory], only: ["two"]).map(\.name) == ["two"])
            let error = try #require(throws: ScenarioError.self) { try DrillRunner.load(paths: [directory], only: ["two", "three"]) }
            #expect(error.key == "--only")
            #expect(error.message.contains("no scenario named three"))
            #expect(error.message.contains("(known: one, two)"))
        }

        @Test("DrillRunner.load rejects a directory without scenarios")
        func emptyDirectory() throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let error = try #require(throws: ScenarioError.self) { try DrillRunner.load(paths: [directory]) }
            #expect(error.message.contains("no scenario files"))
        }
    }
}

/// The shipped scenario files, found when the tests are declared.
private let shippedScenarioFiles: [String] = (try? ScenarioLoader.files(in: [scenariosDirectory])) ?? []

extension ScenarioLoaderTests {
    @Suite("the shipped catalogue and the template")
    struct Catalogue {
        @Test("the scenarios/ directory is not empty")
        func catalogueExists() {
            #expect(!shippedScenarioFiles.isEmpty, "no *.yaml in \(scenariosDirectory)")
        }

        @Test("every shipped scenario loads", arguments: shippedScenarioFiles)
        func shippedScenarioLoads(_ file: String) throws {
            let scenario = try ScenarioLoader().load(file: file)
            #expect(!scenario.steps.isEmpty)
            #expect(!scenario.description.isEmpty, "\(file): describe the scenario for pra drill list")
        }

        @Test("the catalogue loads as a whole: names are unique")
        func catalogueLoads() throws {
            let scenarios = try DrillRunner.load(paths: [scenariosDirectory])
            #expect(scenarios.count == shippedScenarioFiles.count)
        }

        @Test("the complete scenarios shown in docs/scenarios.md load")
        func documentedExamplesLoad() throws {
            let path = (packageRoot as NSString).appendingPathComponent("docs/scenarios.md")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            // Every ```yaml block that starts with `name:` is a whole scenario.
            let blocks = text.components(separatedBy: "```yaml\n").dropFirst().compactMap { $0.components(separatedBy: "```").first }
            let scenarios = blocks.filter { $0.hasPrefix("name:") }
            #expect(scenarios.count >= 4, "the worked examples")
            for (index, yaml) in scenarios.enumerated() {
                #expect(throws: Never.self, "example \(index + 1)") { try ScenarioLoader().parse(yaml, file: "docs/scenarios.md#\(index + 1)") }
            }
        }

        @Test("pra drill new --directory: the template names the file where it was written, and its commented point-in-time steps validate")
        func templateForDirectory() throws {
            let text = ScenarioTemplate.text(name: "x", path: "/srv/drills/x.yaml")
            #expect(text.contains("pra drill validate /srv/drills/x.yaml") && text.contains("pra drill run /srv/drills/x.yaml"))
            #expect(!text.contains("scenarios/x.yaml"))
            let lines = text.components(separatedBy: "\n")
            let start = try #require(lines.firstIndex { $0.hasPrefix("# Point-in-time recovery instead") })
            let steps = lines[start...].filter { $0.hasPrefix("#   - ") || $0.hasPrefix("#     ") }.map { String($0.dropFirst(2)) }
            #expect(steps.count >= 6)
            let scenario = try ScenarioLoader().parse("name: x\narchiving: {archive_timeout: 1s}\nworkload: {heartbeats_per_second: 20}\nsteps:\n" + steps.joined(separator: "\n") + "\n", file: "x.yaml")
            #expect(scenario.steps.last?.expect.rowsBack == true)
        }

        @Test("the pra drill new template loads", arguments: ["replica-lag", "my_drill.v2"])
        func templateLoads(_ name: String) throws {
            let scenario = try ScenarioLoader().parse(ScenarioTemplate.text(name: name), file: "\(name).yaml")
            #expect(scenario.name == name)
            #expect(scenario.steps.map(\.action.kind) == [.backup, .wait, .disaster, .restore])
            #expect(scenario.heartbeatRate != nil)
            #expect(scenario.rpoTarget == 3600 && scenario.rtoTarget == 1800)
        }
    }
}
